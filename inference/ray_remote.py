"""The parts of the Ray engine that run inside Ray workers: the scoring actor, the corpus
datasource, the JSONL datasink and the problem collector. The driver side is
``inference.ray_engine``."""
from __future__ import annotations

import io
import os
import time
from pathlib import Path
from typing import Iterator

from inference.ray_engine import BLOCK_CHARS, BLOCK_DOCS, _DOC_FIELDS, _doc_schema, record_schema
from inference.process_memory import peak_rss_kb
from models.errors import SlantError

_COLLECTOR = None


def _collector_class(ray):
    """A tiny actor: problems from readers, progress and peak memory from the scoring actors."""
    global _COLLECTOR
    if _COLLECTOR is None:
        @ray.remote
        class Collector:
            def __init__(self):
                self.messages: list[tuple[str, str]] = []
                self.failures = 0
                self.docs = self.sentences = 0
                self.peak: dict[int, int] = {}
                self.busy: dict[int, float] = {}

            def problems(self, items: list[tuple[str, str, bool]]) -> None:
                for level, message, fatal in items:
                    self.messages.append((level, message))
                    self.failures += bool(fatal)

            def progress(self, pid: int, docs: int, sentences: int, peak_kb: int, busy_s: float) -> None:
                self.docs += docs
                self.sentences += sentences
                self.peak[pid] = max(self.peak.get(pid, 0), peak_kb)
                self.busy[pid] = self.busy.get(pid, 0.0) + busy_s

            def snapshot(self, since: int = 0) -> dict:
                return {"messages": self.messages[since:], "failures": self.failures, "docs": self.docs,
                        "sentences": self.sentences, "peak_rss_kb": dict(self.peak), "busy_s": dict(self.busy)}

        _COLLECTOR = Collector
    return _COLLECTOR


class _ScoreActor:
    """One per Ray worker: loads the scorer once, then scores a batch of documents per call."""

    def __init__(self, model: str | None, threshold: float | None, threads: int, collector, targets: bool = True,
                 stance_model: str | None = None, stance_prior: bool = True):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
        import torch

        from inference.scorer import Scorer

        torch.set_num_threads(max(1, threads))
        kwargs = {} if threshold is None else {"threshold": threshold}
        self.scorer = Scorer.load(model, targets=targets, stance_model=stance_model, stance_prior=stance_prior, **kwargs)
        self.collector = collector
        self.pid = os.getpid()
        import ray

        ray.get(collector.progress.remote(self.pid, 0, 0, peak_rss_kb(), 0.0))  # counts actors that get no work

    def __call__(self, batch):
        import pyarrow as pa

        from inference.reading import Document
        from inference.score_cli import score_document

        t0 = time.perf_counter()
        cols = {name: batch.column(name).to_pylist() for name in _DOC_FIELDS}
        records: list[dict] = []
        problems = []
        docs = 0
        for doc, text, offset, per_line in zip(*(cols[n] for n in _DOC_FIELDS)):
            try:
                article = score_document(self.scorer, Document(doc, text, {"per_line": True} if per_line else {},
                                                               offset or 0))
            except SlantError as e:
                problems.append(("error", str(e), True))
                continue
            docs += 1
            records += article.records()
        import ray

        if problems:
            self.collector.problems.remote(problems)  # ordered before the blocking call below
        table = pa.Table.from_pylist(records, schema=record_schema())
        busy = time.perf_counter() - t0
        ray.get(self.collector.progress.remote(self.pid, docs, len(records), peak_rss_kb(), busy))
        return table


def _corpus_datasource_class():
    from ray.data.datasource import FileBasedDatasource

    class CorpusDatasource(FileBasedDatasource):
        """Corpus rows as documents: JSONL/CSV parsed by ``inference.reading``, Parquet by pyarrow."""

        def __init__(self, paths, *, text_col: str, id_col: str | None, per_line: bool, collector):
            self._shown = {}  # absolute path -> the path as the user wrote it
            resolved = []
            for p in paths:
                a = p if "://" in p else str(Path(p).resolve())
                self._shown[a] = p
                resolved.append(a)
            super().__init__(resolved)
            self.text_col, self.id_col, self.per_line = text_col, id_col, per_line
            self.collector = collector

        def _open_input_source(self, filesystem, path: str, **open_args):
            if path.lower().endswith(".parquet"):
                return filesystem.open_input_file(path)  # Parquet needs random access
            return super()._open_input_source(filesystem, path, **open_args)

        def _read_stream(self, f, path: str) -> Iterator:
            from inference.corpus_rows import read_csv, read_jsonl
            from inference.documents import SNIFF_BYTES, ReadOptions, binary_problem
            from inference.text_bytes import looks_binary

            opts = ReadOptions(self.text_col, self.id_col, self.per_line)
            shown = self._display_path(path)
            if path.lower().endswith(".parquet"):
                items = _parquet_items(f, shown, opts)
            else:
                raw = io.BufferedReader(f)
                if looks_binary(head := raw.peek(SNIFF_BYTES)[:SNIFF_BYTES]):
                    items = iter([binary_problem(shown, head)])
                elif path.lower().endswith(".csv"):
                    items = read_csv(shown, raw, opts)
                else:
                    items = read_jsonl(shown, raw, opts)
            yield from self._blocks(items)

        def _display_path(self, path: str) -> str:
            """The path as the user wrote it, so row ids (``path:line``) match the local engine's."""
            return self._shown.get(path, path)

        def _blocks(self, items) -> Iterator:
            import pyarrow as pa

            from inference.reading import ReadProblem, looks_english

            rows: dict[str, list] = {n: [] for n in _DOC_FIELDS}
            chars = 0
            problems: list[tuple[str, str, bool]] = []
            for item in items:
                if isinstance(item, ReadProblem):
                    problems.append(("error" if item.fatal else "warning", item.message, item.fatal))
                    continue
                if item.offset == 0 and not looks_english(item.text[:20000]):
                    problems.append(("warning", f"{item.doc_id}: text does not look like English; the model was "
                                                "trained on English news, so its scores may mean little", False))
                rows["doc"].append(item.doc_id)
                rows["text"].append(item.text)
                rows["offset"].append(item.offset)
                rows["per_line"].append(bool(item.meta.get("per_line")))
                chars += len(item.text)
                if len(rows["doc"]) >= BLOCK_DOCS or chars >= BLOCK_CHARS:
                    yield pa.Table.from_pydict(rows, schema=_doc_schema())
                    rows, chars = {n: [] for n in _DOC_FIELDS}, 0
            if problems:  # wait for delivery: this task may end right after
                import ray

                ray.get(self.collector.problems.remote(problems))
            yield pa.Table.from_pydict(rows, schema=_doc_schema())

    return CorpusDatasource


def _parquet_items(f, shown: str, opts) -> Iterator:
    """Parquet rows as documents; ``line`` in fallback ids is the 1-based row number."""
    import pyarrow.parquet as pq

    from inference.corpus_rows import missing_column, row_doc
    from inference.documents import empty_problem

    pf = pq.ParquetFile(f)
    names = pf.schema_arrow.names
    if problem := missing_column(shown, opts, names):
        yield problem
        return
    id_col = opts.id_col or ("id" if "id" in names else None)
    columns = [opts.text_col] + ([id_col] if id_col else [])
    row_no = 0
    for batch in pf.iter_batches(batch_size=1024, columns=columns):
        for row in batch.to_pylist():
            row_no += 1
            yield row_doc(shown, row_no, row, opts)
    if row_no == 0:
        yield empty_problem(shown)


def _jsonl_datasink_class():
    from ray.data.datasource import BlockBasedFileDatasink

    class JsonlDatasink(BlockBasedFileDatasink):
        """One JSON object per sentence, written exactly as the local engine's JsonlWriter writes it."""

        def __init__(self, path: str):
            super().__init__(path, file_format="jsonl")

        def write_block_to_file(self, block, file) -> None:
            import json

            lines = [json.dumps(rec, ensure_ascii=False) + "\n" for rec in block.to_arrow().to_pylist()]
            file.write("".join(lines).encode("utf-8"))

    return JsonlDatasink
