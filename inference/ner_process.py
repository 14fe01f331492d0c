"""spaCy's NER in a forked child process, started by ``slant score`` before torch is imported.

Why: on a cold start, importing spaCy and loading its NER (~0.75 s) is Python work that holds
the GIL, so on a background thread it mostly waits for, and delays, torch's own import and the
model loads. A child forked first runs it on the second core in parallel, and it skips torch
altogether (thinc imports torch whenever it can; the NER does not use it): on this 2-core
machine the child is ready before the parent has loaded its models.

Only on Linux (fork is its default start method, and safe before torch has started threads),
before torch is imported, and when a core is free (``_a_core_is_free``); elsewhere, and in the
Python API, the scorer loads spaCy on a thread as before. If the child dies, the parent falls
back to loading spaCy itself.
"""
from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from models.errors import ModelUnavailable, SlantError

_CHILD = None  # (process, connection) while a child serves


def start() -> bool:
    """Fork the NER child; False (and nothing started) where that is not possible or safe."""
    global _CHILD
    if _CHILD is not None:
        return True
    import multiprocessing

    if not sys.platform.startswith("linux") or "torch" in sys.modules or not _a_core_is_free():
        return False
    ctx = multiprocessing.get_context("fork")
    ours, theirs = ctx.Pipe()
    process = ctx.Process(target=_serve, args=(theirs, ours), daemon=True, name="slant-ner")
    try:
        process.start()
    except OSError:  # no fork allowed here (resource limits, sandbox): use the thread
        return False
    theirs.close()
    _CHILD = (process, ours)
    return True


def _a_core_is_free() -> bool:
    """A child only pays when it gets a core of its own: with a busy second core (a training job)
    it made the cold start slower (4.1-4.3 s against 3.7-4.1 s on the thread), as it imports numpy
    and spaCy's dependencies a second time. Judged by the processes running right now
    (``/proc/loadavg``, ourselves included); the load *average* lags by a minute."""
    try:
        cores = len(os.sched_getaffinity(0))
        running_now = int(Path("/proc/loadavg").read_text().split()[3].split("/")[0])
    except (OSError, ValueError, IndexError):
        return False
    return cores >= 2 and running_now < cores


def running() -> bool:
    return _CHILD is not None


def find_mentions(sentences: list[str]):
    """The child's ``targets.find_mentions(sentences)``; None when no child serves (or it died),
    so the caller runs spaCy in this process. A load error (spaCy or its model not installed)
    comes back as the same one-line ``SlantError`` the in-process path raises."""
    if _CHILD is None:
        return None
    _, conn = _CHILD
    try:
        conn.send(sentences)
        kind, value = conn.recv()
    except (EOFError, OSError):
        stop()
        return None
    if kind == "error":
        raise ModelUnavailable(value)
    return value


def stop() -> None:
    """Close the pipe; the child sees end-of-file and exits (it also does when this process ends)."""
    global _CHILD
    if _CHILD is not None:
        process, conn = _CHILD
        _CHILD = None
        conn.close()
        process.join(timeout=1)


def _serve(conn, parents_end) -> None:
    """The child: load the NER once, then answer one sentence list per message until EOF."""
    parents_end.close()  # else this process would hold the pipe open and never see EOF
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to report
    sys.stdout = open(os.devnull, "w")  # never write, or flush inherited buffers, into the parent's output
    sys.modules["torch"] = None  # thinc then skips its torch shims (1 s); the NER runs on numpy
    from inference.targets import find_mentions, load_ner

    try:
        nlp, error = load_ner(), None
    except SlantError as e:
        nlp, error = None, str(e)
    while True:
        try:
            sentences = conn.recv()
        except (EOFError, OSError):
            return
        if nlp is None:
            conn.send(("error", error))
            continue
        try:
            conn.send(("ok", find_mentions(sentences, nlp)))
        except Exception as e:  # report, keep serving: the parent decides what to do
            conn.send(("error", f"named-entity recognition failed ({e.__class__.__name__}: {e}); score with --no-targets"))
