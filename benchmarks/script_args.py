"""The command line of every benchmark script: bad input is one line on stderr and exit status 2.

Users rerun these scripts from the commands in ``benchmarks/README.md``, so a typo must get the
answer ``slant`` gives (``inference/cli.py``): one line naming the problem and the fix, exit status
2 (argparse's), never a traceback. Three pieces do it:

- ``ScriptParser``: argparse with its errors (unknown option, malformed number, missing argument)
  on one line instead of the usage block followed by the error;
- argparse ``type=`` checks for paths and numbers, all cheap: a missing or wrong kind of path is
  refused without importing torch, so ``--help`` and a typo answer in well under a second where
  the scripts' imports take 5–13 s (each script imports its heavy libraries after parsing);
- ``run(main)``: a ``SlantError`` raised later (no data root, a dataset file missing, a config key
  misspelt) becomes the same one line, as the CLI prints it.

A path that is a model folder is checked by ``models.model_folder.check_folder``, the check
``load_model`` makes, imported only once the path is known to be a folder (it imports torch).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from models.errors import Interrupted, SlantError

Check = Callable[[str], Path]


def script() -> str:
    """The script as the user ran it, for messages (``benchmarks/cv.py``)."""
    return sys.argv[0] or "script"


def fail(message: str) -> NoReturn:
    """Print ``SCRIPT: error: MESSAGE`` as one line on stderr and exit with status 2."""
    print(f"{Path(script()).name}: error: {' '.join(str(message).split())}", file=sys.stderr, flush=True)
    sys.exit(2)


class ScriptParser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` whose errors are one line (the usage block is left to ``--help``)."""

    def error(self, message: str) -> NoReturn:
        fail(f"{message}; see 'python {script()} --help'")


def run(main: Callable[[], int | None]) -> NoReturn:
    """Run a script's ``main()`` and exit with its status (None: 0). A ``SlantError`` (a problem the
    user can fix, raised anywhere below) is one line and status 2; ``Interrupted`` 130, as in the CLI."""
    try:
        code = main()
    except Interrupted as e:
        print(f"{Path(script()).name}: error: {e}", file=sys.stderr, flush=True)
        sys.exit(130)
    except SlantError as e:
        fail(str(e))
    sys.exit(code or 0)


# ---- argparse types: each returns the parsed value or raises ArgumentTypeError with the fix ----

def existing_file(text: str) -> Path:
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder; pass a file")
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"{text}: no such file; check the path")
    return path


def existing_folder(text: str, what: str = "folder") -> Path:
    path = Path(text)
    if path.is_file():
        raise argparse.ArgumentTypeError(f"{what} {text} is a file, not a folder; pass the folder")
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"{what} {text}: no such folder; check the path")
    return path


def output_folder(text: str) -> Path:
    """A folder the script writes into (created if missing): anything but an existing file."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a file; pass a folder to write into (it is created if missing)")
    return path


def output_file(text: str) -> Path:
    """A file the script writes (its folder created if missing): anything but an existing folder."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder; pass the path of the file to write")
    if path.parent.exists() and not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"{path.parent} is a file, so {text} cannot be written; "
                                         "pass a path in a folder")
    return path


def as_typed(check: Check) -> Callable[[str], str]:
    """``check``, returning the argument as the user typed it (for a result file that records it)."""

    def checked(text: str) -> str:
        check(text)
        return text

    return checked


def result_name(text: str) -> str:
    """A file name under ``benchmarks/results/`` (``save_result``), checked before hours of work, not after."""
    if not text or Path(text).name != text or text in (".", ".."):
        raise argparse.ArgumentTypeError(f"'{text}' is not a plain file name; drop the folders (results "
                                         "are written under benchmarks/results/)")
    return text


def model_folder(*needs: str, what: str = "model folder") -> Check:
    """An argparse type for a trained model folder (``check_folder``: the files ``load_model`` reads),
    which must also hold ``needs`` (e.g. ``config.yaml`` or ``splits.json`` of its training run)."""

    def check(text: str) -> Path:
        path = existing_folder(text, what)
        from models.model_folder import check_folder  # imports torch: only once the path is a folder

        try:
            check_folder(path)
        except SlantError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
        missing = [name for name in needs if not (path / name).is_file()]
        if missing:
            raise argparse.ArgumentTypeError(
                f"{what} {text} has no {', '.join(missing)}; pass a folder saved by 'slant train' "
                "(runs/NAME/best), which keeps its training run's files")
        return path

    return check


def stance_folder(*needs: str) -> Check:
    """A stance model folder (``inference.stance.check_stance_folder``: it has a stance head) holding ``needs``."""
    whole = model_folder(*needs, what="stance model")

    def check(text: str) -> Path:
        path = whole(text)
        from inference.stance import check_stance_folder

        try:
            check_stance_folder(path)
        except SlantError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
        return path

    return check


def at_least(minimum: int) -> Callable[[str], int]:
    """An argparse type for a whole number of at least ``minimum``."""

    def whole(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a whole number; give {minimum} or more") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is too small; give {minimum} or more")
        return value

    return whole


def _number(text: str, want: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number; give {want}") from None


def positive_number(text: str) -> float:
    if not (value := _number(text, "e.g. 0.5")) > 0:
        raise argparse.ArgumentTypeError(f"{text} must be above 0")
    return value


def fraction(text: str) -> float:
    """A probability cut: a number from 0 to 1."""
    if not 0 <= (value := _number(text, "one from 0 to 1, e.g. 0.5")) <= 1:
        raise argparse.ArgumentTypeError(f"{text} is outside [0, 1]; give a probability, e.g. 0.5")
    return value


# ---- checks made after parsing ------------------------------------------------------------------

def require_modules(*names: str, install: str) -> None:
    """Fail at once, naming ``install``, when an optional package a script needs is missing
    (found without importing it)."""
    missing = [n for n in names if importlib.util.find_spec(n) is None]
    if missing:
        fail(f"needs {', '.join(missing)}, not installed here; {install}")


def make_folder(path: Path) -> Path:
    """``path`` created (with its parents); a folder that cannot be made is one line."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        fail(f"cannot create the folder {path} ({e.strerror or e}); choose a writable path")
    return path


def text_rows(path: Path | str, flag: str, columns: str = '{"id": ..., "text": ...}'):
    """The JSON objects with a "text" string of a JSONL file given as ``flag``, one by one (blank
    lines skipped); any other line stops the script with one line naming the file and line."""
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError:
                row = None
            if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                fail(f"{flag} {path}, line {number}: not a JSON object with a \"text\" string; pass a JSONL "
                     f"file of {columns} rows")
            yield row
