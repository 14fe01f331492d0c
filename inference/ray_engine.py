"""``slant score CORPUS --engine ray --out DIR``: score a corpus on a Ray cluster (or this machine).

Ray Data reads the corpus (JSONL, CSV or Parquet files, or folders of them),
``map_batches`` sends documents to a pool of actors that each hold one loaded
:class:`~inference.scorer.Scorer`, and the sentence records are written to
``--out DIR`` as JSONL (default) or Parquet (``--out`` ending in ``.parquet``,
or ``--format parquet``). The records are those the local engine writes: the
same fields, the same doc ids (rows without an id get ``"<path>:<line>"``, as
locally), the same scores — each document goes through the same
``score_document`` call. JSONL lines are byte-identical to the local engine's.

JSONL and CSV rows are parsed by the local reader (``inference.reading``), so
bad rows, missing columns and encodings are handled identically. Per-row
problems are collected by a small actor and printed on the driver as
``slant: warning|error: …`` lines; the exit code is 1 when any is an error.

Ray is optional: ``pip install -e '.[ray]'``.
"""
from __future__ import annotations

import logging
import os
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import Any

from inference.records import check_threshold
from models.errors import SlantError, say as _say

INSTALL_HINT = "--engine ray needs Ray: pip install -e '.[ray]'"
#: File types the Ray engine reads (folders are searched for these).
RAY_INPUT_EXTS = (".jsonl", ".csv", ".parquet")
#: Documents per ``map_batches`` call; small so work spreads evenly over the actors.
DOCS_PER_BATCH = 8
#: A read block is cut after this many documents or characters of text. Ray Data hands whole blocks
#: to actors, so blocks must be small for several actors to share one corpus file.
BLOCK_DOCS, BLOCK_CHARS = DOCS_PER_BATCH, 1_000_000
#: Environment variables read when the CLI has no such flag.
ENV_WORKERS, ENV_CPUS = "SLANT_RAY_WORKERS", "SLANT_RAY_CPUS_PER_WORKER"

_DOC_FIELDS = ("doc", "text", "offset", "per_line")


def _import_ray():
    try:
        import ray
        import ray.data  # noqa: F401  (ray without the [data] extra lacks pandas/pyarrow glue)
    except ImportError:
        raise SlantError(INSTALL_HINT) from None
    return ray


# ---- schemas ---------------------------------------------------------------------------------

def _doc_schema():
    import pyarrow as pa

    return pa.schema([("doc", pa.string()), ("text", pa.large_string()), ("offset", pa.int64()),
                      ("per_line", pa.bool_())])


def record_schema():
    """Arrow schema of one output row: the fields of ``SentenceScore``, spans and targets as lists of structs."""
    import pyarrow as pa

    span = pa.struct([("start", pa.int64()), ("end", pa.int64()), ("text", pa.string()),
                      ("score", pa.float64()), ("technique", pa.string())])
    target = pa.struct([("start", pa.int64()), ("end", pa.int64()), ("text", pa.string()), ("entity", pa.string()),
                        ("type", pa.string()), ("stance", pa.string()), ("score", pa.float64()),
                        ("polarity", pa.float64()), ("voice", pa.string())])
    return pa.schema([("doc", pa.string()), ("index", pa.int64()), ("paragraph", pa.int64()),
                      ("start", pa.int64()), ("end", pa.int64()), ("text", pa.string()),
                      ("score", pa.float64()), ("label", pa.string()), ("voice", pa.string()),
                      ("spans", pa.list_(span)), ("targets", pa.list_(target))])


# ---- the driver ------------------------------------------------------------------------------

class RunStats:
    """What one run did: counts, wall time, and per actor (pid) its peak resident memory."""

    def __init__(self, docs: int, sentences: int, seconds: float, workers: int, peak_rss_kb: dict[int, int],
                 busy_s: dict[int, float], failures: int, out: str, fmt: str):
        self.docs, self.sentences, self.seconds, self.workers = docs, sentences, seconds, workers
        self.peak_rss_kb, self.busy_s, self.failures, self.out, self.fmt = peak_rss_kb, busy_s, failures, out, fmt

    @property
    def sentences_per_s(self) -> float:
        return self.sentences / self.seconds if self.seconds > 0 else 0.0


def score_with_ray(args) -> int:
    """Entry point of ``slant score --engine ray``; returns the exit code (1 when any input failed)."""
    stats = run(args)
    _say("info", f"scored {stats.sentences} sentences in {stats.docs} documents with {stats.workers} Ray "
                 f"worker(s) in {stats.seconds:.1f} s; wrote {stats.fmt} to {stats.out}")
    return 1 if stats.failures else 0


def run(args, *, workers: int | None = None, quiet: bool = False) -> RunStats:
    """Score ``args.inputs`` into ``args.out`` with Ray; the CLI and the benchmark share this."""
    check_threshold(args.threshold, "--threshold")
    out, fmt = _output(args)
    address = getattr(args, "address", None)
    model = _model_path(args.model, remote=bool(address))
    stance_model = _stance_path(getattr(args, "stance_model", None), remote=bool(address))
    files = _input_files(args.inputs)
    ray = _import_ray()
    cpus = _positive_int(os.environ.get(ENV_CPUS), ENV_CPUS) or 1
    workers = workers or _positive_int(getattr(args, "workers", None), "--workers") \
        or _positive_int(os.environ.get(ENV_WORKERS), ENV_WORKERS)

    _quiet_ray_logging()
    started_here = not ray.is_initialized()
    if started_here:
        if address:
            ray.init(address=address, log_to_driver=False, logging_level=logging.ERROR)
        else:
            local_workers = workers or max(1, (os.cpu_count() or 1) // cpus)
            ray.init(num_cpus=local_workers * cpus, include_dashboard=False, log_to_driver=False,
                     logging_level=logging.ERROR)
    try:
        if not workers:
            workers = max(1, int(ray.available_resources().get("CPU", 1) // cpus))
        return _execute(ray, files, args, model, stance_model, out, fmt, workers, cpus, quiet)
    finally:
        if started_here:
            ray.shutdown()


def _execute(ray, files, args, model, stance_model, out, fmt, workers, cpus, quiet) -> RunStats:
    with warnings.catch_warnings():  # Ray's internal deprecation notes and tuning hints are not for users
        warnings.filterwarnings("ignore", module=r"ray(\.|$)")
        # Write tasks take ray_remote_args only (no named num_cpus yet) but Ray already calls it deprecated.
        warnings.filterwarnings("ignore", message="`ray_remote_args` is deprecated")
        return _execute_quietly(ray, files, args, model, stance_model, out, fmt, workers, cpus, quiet)


def _execute_quietly(ray, files, args, model, stance_model, out, fmt, workers, cpus, quiet) -> RunStats:
    from ray.data import DataContext

    ctx = DataContext.get_current()
    ctx.enable_progress_bars = False
    ctx.print_on_execution_start = False
    ctx.execution_options.preserve_order = True  # output in input order, like the local engine
    if hasattr(ctx, "log_internal_stack_trace"):
        ctx.log_internal_stack_trace = False

    from inference.ray_remote import _ScoreActor, _collector_class, _corpus_datasource_class, _jsonl_datasink_class

    collector = _collector_class(ray).options(num_cpus=0).remote()
    source = _corpus_datasource_class()(files, text_col=args.text_col or "text", id_col=args.id_col,
                                        per_line=bool(args.per_line), collector=collector)
    # Reading and writing are light: they must not wait for a CPU the scoring actors hold.
    ds = ray.data.read_datasource(source, num_cpus=0)
    # On a cluster Ray Data restarts actors lost with their node. On one machine a lost actor (killed for
    # memory) would fail again, and the restart option makes Ray core log a scary line on every run.
    restarts = {} if getattr(args, "address", None) else {"max_restarts": 0}
    ds = ds.map_batches(_ScoreActor, fn_constructor_kwargs={"model": model, "stance_model": stance_model,
                                                            "threshold": args.threshold,
                                                            "targets": not getattr(args, "no_targets", False),
                                                            "stance_prior": not getattr(args, "raw_stance", False),
                                                            "threads": cpus, "collector": collector},
                        batch_size=DOCS_PER_BATCH, batch_format="pyarrow", num_cpus=cpus, zero_copy_batch=True,
                        compute=ray.data.ActorPoolStrategy(size=workers), **restarts)
    t0 = time.perf_counter()
    with _ProgressThread(ray, collector, disabled=quiet) as progress:  # prints problems as they arrive
        try:
            if fmt == "parquet":
                ds.write_parquet(out, ray_remote_args={"num_cpus": 0}, schema=record_schema())
            else:
                ds.write_datasink(_jsonl_datasink_class()(out), ray_remote_args={"num_cpus": 0})
        except Exception as e:  # noqa: BLE001 — a SlantError inside a Ray worker arrives wrapped
            cause = _slant_cause(e)
            if cause is not None:
                raise cause from None
            raise
    seconds = time.perf_counter() - t0
    snap = ray.get(collector.snapshot.remote(progress.printed))
    return RunStats(snap["docs"], snap["sentences"], seconds, workers, snap["peak_rss_kb"], snap["busy_s"],
                    snap["failures"], out, fmt)


def _output(args) -> tuple[str, str]:
    out = getattr(args, "out", None)
    if not out:
        raise SlantError("--engine ray writes files: add --out DIR (a folder; end it in .parquet for Parquet)")
    if getattr(args, "output", None):
        raise SlantError("--engine ray writes a folder of files: use --out DIR instead of -o/--output")
    fmt = (args.format or "").lower()
    if not fmt:
        fmt = "parquet" if out.rstrip("/").lower().endswith(".parquet") else "jsonl"
    if fmt not in ("jsonl", "parquet"):
        raise SlantError(f"--format {fmt}: --engine ray writes jsonl or parquet; drop --format (jsonl) or end "
                         "--out in .parquet")
    if "://" in out:
        return out, fmt
    path = Path(out).expanduser().resolve()
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise SlantError(f"--out {out}: exists and is not an empty folder; choose a new folder or empty it")
    return str(path), fmt


def _stance_path(stance_model: str | None, *, remote: bool) -> str | None:
    """``--stance-model`` for the actors (it was not passed on, so they used the default pairing)."""
    if stance_model == "default":
        return stance_model
    from inference.stance import check_stance_folder

    return _model_path(stance_model, remote=remote, check=check_stance_folder)


def _model_path(model: str | None, *, remote: bool, check=None) -> str | None:
    """Absolute path for the actors; checked here (``check``, else ``check_folder``) unless a
    cluster may hold it where this machine does not."""
    if model is None or "://" in model:
        return model
    path = Path(model).expanduser()
    if path.exists() or not remote:
        from models.model_folder import check_folder

        (check or check_folder)(path)
        return str(path.resolve())
    return model


def _input_files(inputs: list[str]) -> list[str]:
    """The files to read, in the order the local engine reads them (folders: sorted, hidden parts skipped)."""
    files: list[str] = []
    for name in inputs:
        if name == "-":
            raise SlantError("--engine ray cannot read stdin; save the corpus to a .jsonl/.parquet file and pass that")
        if "://" in name:
            files.append(name)
            continue
        path = Path(name)
        if path.is_dir():
            from inference.reading import folder_files

            found = folder_files(path, RAY_INPUT_EXTS)
            if not found:
                raise SlantError(f"{name}: no .jsonl/.csv/.parquet files under {name}; --engine ray reads corpora "
                                 "(use the local engine for .txt/.html articles)")
            files += [str(p) for p in found]
        elif path.is_file():
            if path.suffix.lower() not in RAY_INPUT_EXTS:
                raise SlantError(f"{name}: --engine ray reads .jsonl, .csv or .parquet corpora; use the local "
                                 "engine (drop --engine ray) for .txt/.html articles")
            files.append(name)
        else:
            raise SlantError(f"{name}: no such file or directory; check the path")
    return files


def _positive_int(value: Any, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        n = int(value)
    except (TypeError, ValueError):
        n = 0
    if n < 1:
        raise SlantError(f"{name}={value!r}: must be a whole number of at least 1")
    return n


def _quiet_ray_logging() -> None:
    os.environ.setdefault("RAY_DEDUP_LOGS", "1")
    os.environ.setdefault("RAY_DATA_DISABLE_PROGRESS_BARS", "1")
    logging.getLogger("ray").setLevel(logging.ERROR)
    # Ray Data logs a failure's whole stack before raising it; the exception itself still reaches the
    # caller (a SlantError from a worker becomes one line, anything else a traceback).
    logging.getLogger("ray.data").setLevel(logging.CRITICAL)


def _slant_cause(e: BaseException) -> SlantError | None:
    """Find a SlantError raised in a worker (Ray wraps it, sometimes twice)."""
    seen = set()
    stack = [e]
    while stack:
        cur = stack.pop()
        if cur is None or id(cur) in seen:
            continue
        seen.add(id(cur))
        if isinstance(cur, SlantError):
            return SlantError(str(cur).splitlines()[0])
        stack += [getattr(cur, "cause", None), cur.__cause__, cur.__context__]
    text = str(e)
    marker = "SlantError: "
    if marker in text:
        return SlantError(text.split(marker, 1)[1].splitlines()[0])
    return None


class _ProgressThread:
    """Shows documents and sentences scored so far on stderr, and prints problems as they arrive."""

    def __init__(self, ray, collector, *, disabled: bool):
        self.ray, self.collector, self.disabled = ray, collector, disabled
        self.stop = threading.Event()
        self.printed = 0
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self):
        from rich.console import Console
        from rich.progress import Progress, TextColumn, TimeElapsedColumn

        self.bar = Progress(TextColumn("scoring with Ray: {task.fields[docs]} documents, {task.fields[sents]} "
                                       "sentences"), TimeElapsedColumn(),
                            console=Console(stderr=True, highlight=False), transient=True,
                            disable=self.disabled or not sys.stderr.isatty())
        self.bar.start()
        self.task = self.bar.add_task("ray", total=None, docs=0, sents=0)
        self.thread.start()
        return self

    def _loop(self):
        while not self.stop.wait(1.0):
            try:
                self.flush_messages()
            except Exception:  # noqa: BLE001 — progress must never break the run
                return

    def flush_messages(self) -> int:
        snap = self.ray.get(self.collector.snapshot.remote(self.printed))
        self.bar.update(self.task, docs=snap["docs"], sents=snap["sentences"])
        for level, message in snap["messages"]:
            self.bar.console.print(f"slant: {level}: {message}", markup=False, highlight=False, soft_wrap=True)
        self.printed += len(snap["messages"])
        return self.printed

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=5)
        try:
            self.flush_messages()
        finally:
            self.bar.stop()
