"""The HTML report in a real browser: headless Chromium driven by Selenium.

Needs the Debian packages ``chromium`` and ``chromium-driver`` and the Python
package ``selenium``; skipped (with the reason) where they are missing. The
corpus holds ``<script>`` and an ``onerror`` attribute that would log console
errors if they ever ran, so "no SEVERE console entry" also checks escaping.
"""
import shutil
import tempfile
from pathlib import Path

import pytest

from inference import cli
from tests.test_report import corpus_rows, train_tiny_model, write_jsonl

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1280,1600"]

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists() or not CHROMEDRIVER.exists(),
                       reason="headless Chromium missing: apt-get install -y chromium chromium-driver"),
]


@pytest.fixture
def browser(tmp_path):
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium missing: pip install selenium")
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="chromium-profile-", dir=tmp_path)
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS + [f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def test_report_opens_offline_without_console_errors_and_shows_table_and_charts(tmp_path, browser):
    from selenium.webdriver.common.by import By

    model = train_tiny_model(tmp_path / "model")
    corpus = write_jsonl(tmp_path / "corpus.jsonl", corpus_rows())
    report = tmp_path / "report.html"
    assert cli.main(["report", str(corpus), "--story", "story", "-o", str(report), "--model", str(model),
                     "--bootstrap", "200"]) == 0

    browser.get(report.as_uri())
    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == [], severe

    table = browser.find_element(By.ID, "group-table")
    assert table.is_displayed()
    rows = table.find_elements(By.CSS_SELECTOR, "tbody tr")
    assert len(rows) == 4 and "Loud Daily" in table.text and "<b>Evil</b> & Co" in table.text
    charts = browser.find_elements(By.CSS_SELECTOR, "svg.chart")
    assert {c.get_attribute("id") for c in charts} == {"chart-rates", "chart-per-words", "chart-distribution",
                                                       "chart-topics"}
    for chart in charts:
        assert chart.is_displayed() and chart.size["width"] > 200 and chart.size["height"] > 50, chart.get_attribute("id")
    assert browser.find_elements(By.CSS_SELECTOR, "#chart-rates circle")
    assert browser.find_elements(By.TAG_NAME, "script") == []          # the corpus's <script> stayed text
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0  # no requests

    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, min(int(height) + 40, 8000))
    shot = tmp_path / "report.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    print(f"screenshot: {shot}")
