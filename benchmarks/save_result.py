"""Where every benchmark script writes its figures: ``benchmarks/results/<name>``, as indented JSON."""
from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def save_result(name: str, result: dict) -> Path:
    """Write ``result`` to ``benchmarks/results/<name>`` and return the path."""
    target = RESULTS / name
    target.write_text(json.dumps(result, indent=2))
    return target
