"""``slant train``'s entry: read the config, check the run folder, then train here or in
``train.processes`` worker processes (``training/distributed.py`` says why several).

Nothing here imports torch: with ``train.processes`` > 1 this process only starts the
workers and waits, so they start 5 s sooner than if it loaded the training stack first.
"""
from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import os
import signal
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

from models.errors import Interrupted, SlantError
from training.config import Config, load_config

TRAIN_PROCESS = "training.train:train_process"


def main_train(config_path: str, out: str | None, resume: bool, overrides: list[str]) -> Path | None:
    cfg = load_config(config_path, overrides)
    out_dir = Path(out) if out else Path("runs") / Path(config_path).stem
    best = train(cfg, out_dir, resume=resume)
    if best is not None:
        print(f"model saved to {best}", file=sys.stdout)
    return best


def train(cfg: Config, out: Path, *, resume: bool = False) -> Path | None:
    """Returns the ``best/`` model folder (None on DDP ranks other than 0). With
    ``train.processes`` > 1 (and not already under torchrun) the run happens in that many
    fresh processes and this one waits for them."""
    out = Path(out)
    check_run_folder(cfg, out, resume)
    t = cfg.train
    if t.processes > 1 and "WORLD_SIZE" not in os.environ:
        spawn_training(TRAIN_PROCESS, (cfg, out, resume), t.processes,
                       t.threads or max(1, (os.cpu_count() or 1) // t.processes))
        return out / "best"
    return _target(TRAIN_PROCESS)(cfg, out, resume)


def check_run_folder(cfg: Config, out: Path, resume: bool) -> None:
    """Refuse what would fail or be lost later, before any data or model is loaded: a run folder
    that cannot be written (the error came as a traceback after the data were read, or from a
    training process), a finished run to resume (``--resume`` trained it on, or rewrote ``best/``),
    or a folder already holding a run without ``--resume``."""
    if resume:
        saved = out / "config.yaml"
        if not (out / "last").is_dir() or not saved.is_file():
            raise SlantError(f"--resume: no checkpoint in {out}/last; start without --resume (or point --out at the interrupted run)")
        if saved_kind(out / "best") == "model":
            raise SlantError(f"--resume: the run in {out} is finished ({out / 'best'} is its model); nothing to "
                             "resume — choose a new --out to train again")
        if load_config(saved).to_dict() != cfg.to_dict():
            raise SlantError(f"--resume: the config differs from the one saved in {saved}; resume with that file: slant train {saved} --out {out} --resume")
    elif (out / "best").exists() or (out / "last").exists():
        raise SlantError(f"run folder {out} already holds a run; pass --resume to continue it or choose a new --out")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".slant-write-check.{os.getpid()}"  # per process: torchrun ranks check at once
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        raise SlantError(f"--out {out}: cannot write the run folder there ({e.strerror or e}); choose a writable "
                         "path") from None


def saved_kind(folder: Path) -> str | None:
    """``meta.json``'s kind in a run's ``best/``: "checkpoint" while training, "model" once the
    run has been evaluated and saved (a Ctrl-C during that last evaluation leaves a checkpoint);
    None where there is no readable ``meta.json``. The one test of whether a run is finished:
    ``--resume`` refuses a finished run by it, and ``benchmarks/cv.py`` reuses a fold by it."""
    import json

    try:
        return json.loads((folder / "meta.json").read_text(encoding="utf-8")).get("kind")
    except (OSError, ValueError, AttributeError):
        return None


def _target(name: str):
    module, function = name.split(":")
    return getattr(importlib.import_module(module), function)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop_with_parent() -> None:
    """Linux: should the parent die without passing a signal on (SIGKILL, out of memory), the kernel sends
    this worker SIGINT, so it saves a checkpoint and stops instead of training on unseen."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGINT))  # PR_SET_PDEATHSIG


def _worker(rank: int, world: int, port: int, threads: int, error_file: str, target: str, args: tuple) -> None:
    if hasattr(os, "setpgrp"):  # a terminal's Ctrl-C reaches the parent alone, which passes it on once (_wait)
        os.setpgrp()
    # the launcher's SIGINT must always stop a worker: a job started in the background of a script, or
    # under nohup, inherits SIGINT ignored, and the workers then trained on through every stop request
    signal.signal(signal.SIGINT, signal.default_int_handler)
    _stop_with_parent()
    os.environ.update({"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "RANK": str(rank),
                       "LOCAL_RANK": str(rank), "WORLD_SIZE": str(world)})
    import torch

    torch.set_num_threads(threads)
    try:
        _target(target)(*args)
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except SlantError as e:  # the one-line message travels to the parent, which raises it again
        Path(error_file).write_text(f"{type(e).__name__}\n{e}")
        raise SystemExit(2) from None


def _wait(workers: list) -> bool:
    """Join the workers; True when Ctrl-C arrived. A worker that fails stops the others (they
    would wait for it in the next all-reduce), after a grace period for rank 0's checkpoint."""
    interrupted, failed_at = False, None

    def pass_on(signum=None, frame=None) -> None:
        for w in workers:  # each worker finishes its step and saves (a second one: stops at once)
            if w.is_alive():
                with contextlib.suppress(OSError):
                    os.kill(w.pid, signal.SIGINT)

    # SIGTERM (a scheduler, `timeout`, `kill`) and SIGHUP (the terminal closed) stop the run as Ctrl-C does,
    # checkpoint included: before, a signal sent to the parent alone left the workers training without it
    stops = [s for s in (signal.SIGTERM, getattr(signal, "SIGHUP", None)) if s is not None]
    previous = ({s: signal.signal(s, pass_on) for s in stops}
                if threading.current_thread() is threading.main_thread() else {})
    try:
        while any(w.is_alive() for w in workers):
            try:
                workers[0].join(0.5)
            except KeyboardInterrupt:
                interrupted = True
                pass_on()
            if failed_at is None and any(w.exitcode not in (None, 0, 130) for w in workers):
                failed_at = time.monotonic()
            if failed_at is not None and time.monotonic() - failed_at > 10:
                for w in workers:
                    w.terminate()
        for w in workers:
            w.join()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    return interrupted


def spawn_training(target: str, args: tuple, processes: int, threads: int) -> None:
    """Run ``target(*args)`` ("module:function") in ``processes`` fresh processes joined into one
    gloo group, each with ``threads`` intra-op threads, and wait for them. A SlantError in a
    worker is raised here with its own message; on Ctrl-C the workers finish the step they are in
    and save a checkpoint first (``training/stop_request.py``)."""
    ctx = multiprocessing.get_context("spawn")
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="slant-train-") as tmp:
        errors = [os.path.join(tmp, f"error.{r}") for r in range(processes)]
        workers = [ctx.Process(target=_worker, args=(r, processes, port, threads, errors[r], target, args))
                   for r in range(processes)]
        for w in workers:
            w.start()
        interrupted = _wait(workers)
        for path in errors:
            if os.path.exists(path):
                kind, message = Path(path).read_text().split("\n", 1)
                raise (Interrupted if kind == "Interrupted" else SlantError)(message)
        if interrupted or any(w.exitcode == 130 for w in workers):
            raise KeyboardInterrupt
        failed = [r for r, w in enumerate(workers) if w.exitcode != 0]
        if failed:
            raise SlantError(f"training process {failed[0]} of {processes} exited with code "
                             f"{workers[failed[0]].exitcode}; rerun with --train.processes 1 to see its error")
