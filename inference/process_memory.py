"""Resident-memory figures of a process, read from Linux's ``/proc/PID/status``.

The Ray workers report their peak to the driver, and the memory benchmarks trace a scoring
run and its NER child; all read the same kernel counters (VmRSS: resident now, VmHWM: the
peak), so the parsing lives here once. Elsewhere (no /proc) the figures fall back to
``resource.getrusage`` for this process, or to 0 for another one.
"""
from __future__ import annotations

import resource
import sys
from pathlib import Path


def status_kb(field: str, pid: int | str = "self") -> int | None:
    """``field`` (``VmRSS``, ``VmHWM``, ...) of process ``pid`` in KiB; None where it cannot be read."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    return next((int(line.split()[1]) for line in text.splitlines() if line.startswith(field + ":")), None)


def peak_rss_kb() -> int:
    """This process's peak resident memory in KiB (``ru_maxrss`` where /proc is missing)."""
    peak = status_kb("VmHWM")
    if peak is not None:
        return peak
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss // 1024 if sys.platform == "darwin" else rss


def children_peak_kb(pid: int) -> int:
    """Largest peak resident memory among the child processes of ``pid``; 0 where unknown."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0
    return max((status_kb("VmHWM", child) or 0 for child in children), default=0)
