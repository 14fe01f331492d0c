"""Where every benchmark script writes its figures: ``benchmarks/results/<name>``, as indented JSON.

``SLANT_RESULTS_DIR`` points them elsewhere (the tests do, so a test run never touches the
committed results)."""
from __future__ import annotations

import json
import os
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def save_result(name: str, result: dict) -> Path:
    """Write ``result`` to ``benchmarks/results/<name>`` (or ``$SLANT_RESULTS_DIR/<name>``) and return the path."""
    target = Path(os.environ.get("SLANT_RESULTS_DIR") or RESULTS) / name
    target.write_text(json.dumps(result, indent=2))
    return target
