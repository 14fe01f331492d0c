"""Training progress on stderr: a live rich bar on a terminal, plain lines in a log.

Rich draws nothing live when stderr is not a terminal (``nohup``, CI, ``2> log``), so a
long run there would be silent until the end. ``PlainProgress`` offers the same three
calls the loop makes and prints a line with loss, rate and ETA every 5% of the steps
(but no more than once a minute, and at least every ten minutes).
"""
from __future__ import annotations

import sys
import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


class PlainProgress:
    def __init__(self, stream=None, every_share: float = 0.05, min_gap_s: float = 60.0, max_gap_s: float = 600.0):
        self.stream = stream or sys.stderr
        self.every_share, self.min_gap_s, self.max_gap_s = every_share, min_gap_s, max_gap_s
        self.tasks: dict[int, dict] = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for t in self.tasks.values():
            self._line(t)
        return False

    def add_task(self, description: str, total=None, completed: int = 0, **fields) -> int:
        now = time.monotonic()
        self.tasks[len(self.tasks)] = {"description": description, "total": total, "completed": completed,
                                       "fields": fields, "start": now, "start_done": completed, "last": now,
                                       "last_done": completed}
        return len(self.tasks) - 1

    def update(self, task_id: int, advance: int = 0, description: str | None = None, **fields) -> None:
        t = self.tasks[task_id]
        t["completed"] += advance
        t["fields"].update(fields)
        if description:
            t["description"] = description
        now = time.monotonic()
        step = max(1, int((t["total"] or 0) * self.every_share))
        due = (t["completed"] - t["last_done"] >= step and now - t["last"] >= self.min_gap_s) or now - t["last"] >= self.max_gap_s
        if advance and due:
            self._line(t)

    def _line(self, t: dict) -> None:
        now = time.monotonic()
        done, total = t["completed"], t["total"]
        rate = (done - t["start_done"]) / max(1e-9, now - t["start"])
        eta = f", ETA {int((total - done) / rate // 60)} min {int((total - done) / rate % 60)} s" if total and rate > 0 else ""
        loss = t["fields"].get("loss")
        loss = f", loss {loss:.3f}" if isinstance(loss, float) else ""
        print(f"{t['description']}: {done}/{total or '?'} steps{loss}, {rate:.2f} steps/s{eta}", file=self.stream, flush=True)
        t["last"], t["last_done"] = now, done


def progress_bar(console: Console, disable: bool = False):
    """The live bar on a terminal; plain periodic lines otherwise."""
    if not disable and not console.is_terminal:
        return PlainProgress(console.file)
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("loss {task.fields[loss]:.3f}"), TimeElapsedColumn(), TextColumn("ETA"),
                    TimeRemainingColumn(), console=console, transient=False, disable=disable)
