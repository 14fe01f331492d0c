"""Screenshot an HTML report in headless Chromium (for the README), Chromium's own PNG, no image library.

    python benchmarks/report_screenshot.py report.html benchmarks/results/report_demo.png [--width 1100] [--height 1700]

Needs the Debian packages ``chromium`` and ``chromium-driver`` and ``pip install selenium``.
The shot is the top ``--height`` pixels of the page (the group table and the rate charts),
which keeps the PNG small enough to commit (< 300 KB).
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from script_args import ScriptParser, at_least, existing_file, fail, output_file, require_modules, run

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
         "--hide-scrollbars"]
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")


def screenshot(html: Path, png: Path, width: int = 1100, height: int = 1700) -> int:
    """Save the top ``width`` × ``height`` pixels of ``html``; returns the number of SEVERE console entries."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for flag in FLAGS + [f"--user-data-dir={profile}", f"--window-size={width},{height}"]:
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
        try:
            driver.get(Path(html).resolve().as_uri())
            severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
            png.parent.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(png))
        finally:
            driver.quit()
    return len(severe)


def main(argv: list[str] | None = None) -> int:
    ap = ScriptParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("html", type=existing_file, help="the HTML report to shoot (slant report's output)")
    ap.add_argument("png", type=output_file, help="the PNG to write (its folder is created)")
    ap.add_argument("--width", type=at_least(1), default=1100)
    ap.add_argument("--height", type=at_least(1), default=1700)
    args = ap.parse_args(argv)
    require_modules("selenium", install="pip install selenium")
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.is_file()]
    if missing:
        fail(f"needs {' and '.join(missing)}; install the Debian packages chromium and chromium-driver")
    errors = screenshot(args.html, args.png, args.width, args.height)
    print(f"wrote {args.png} ({args.png.stat().st_size / 1024:.0f} KB); console errors: {errors}")
    return 1 if errors else 0


if __name__ == "__main__":
    run(main)
