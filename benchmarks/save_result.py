"""Where every benchmark script writes its figures: ``benchmarks/results/<name>``, as indented JSON.

``SLANT_RESULTS_DIR`` points them elsewhere (the tests do, so a test run never touches the
committed results)."""
from __future__ import annotations

import json
import os
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def result_path(name: str) -> Path:
    """Where the result ``name`` lives: ``benchmarks/results/<name>``, or ``$SLANT_RESULTS_DIR/<name>``.
    Every script reads and writes its results here, so the variable moves all of them, never some."""
    return Path(os.environ.get("SLANT_RESULTS_DIR") or RESULTS) / name


def save_result(name: str, result: dict) -> Path:
    """Write ``result`` to ``result_path(name)`` and return the path. The folder is made if missing:
    a ``$SLANT_RESULTS_DIR`` not yet created cost a traceback at the end of a run, its figures lost."""
    target = result_path(name)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(result, indent=2))
    return target
