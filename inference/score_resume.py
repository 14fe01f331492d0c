"""Resumable ``slant score -o FILE``: a small progress file beside the output.

Scoring a large corpus takes hours, and a crash or Ctrl-C should not cost what
was already written. While ``slant score`` writes an appendable format
(jsonl, csv, md) to a file, it keeps ``FILE.slant-progress.json`` up to date:
how many input items (documents, or a long file's chunks) are fully written
and how many bytes of output hold them, beside a fingerprint of the inputs and
options. The same command with ``--resume`` truncates the output to that byte
count (a half-written article is cut off), skips that many items without
scoring them and appends the rest, so the finished file is the one an
uninterrupted run writes. A finished run removes the progress file.

After every item the output is flushed and its size noted; the progress file
is rewritten from those notes at most once a second (atomically, through a
temporary file and ``os.replace``, after an fsync of the output), and at once on
Ctrl-C. An interruption loses at most a second of scoring, never consistency:
bytes past the noted size (an article cut mid-write) are cut off on resuming.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from inference.reading import walk_files
from models.errors import SlantError

RESUMABLE_FORMATS = ("jsonl", "csv", "md")
SUFFIX = ".slant-progress.json"


def fingerprint(args, fmt: str) -> dict:
    """What must not change between a run and its resumption: the inputs, the model and every
    option that changes what is written (the Slant version too: it ships the default model)."""
    try:
        version = importlib.metadata.version("slant")
    except importlib.metadata.PackageNotFoundError:
        version = None
    return {"slant": version, "inputs": [os.path.abspath(p) for p in args.inputs],
            "files": _listing(args.inputs, skip=args.output), "format": fmt,
            "model": os.path.abspath(args.model) if args.model else None,
            "stance_model": getattr(args, "stance_model", None), "threshold": args.threshold,
            "precision": getattr(args, "precision", "auto"), "no_targets": getattr(args, "no_targets", False),
            "text_col": args.text_col, "id_col": args.id_col, "per_line": args.per_line,
            "raw_stance": getattr(args, "raw_stance", False), "models": _model_digests(args)}


def _model_digests(args) -> list[str]:
    """The framing and stance folders' ``folder_digest`` (weights and meta.json): a model retrained
    or a prior refitted in the same folder between a run and its resumption changes what is
    written, as another folder would."""
    from models import default_model_path, default_stance_path
    from models.model_folder import folder_digest

    stance = getattr(args, "stance_model", None)
    folders = [args.model or default_model_path(), default_stance_path() if stance in (None, "default") else stance]
    return [folder_digest(folder) for folder in folders]


def _listing(inputs: list[str], skip: str | None = None) -> str:
    """A hash of every file under the inputs with its size and modification time: a file added
    to a folder, or an edited article, would shift what the first N items are. The output and
    its progress file are left out, in case they are written inside an input folder."""
    entries = []
    own = {os.path.abspath(p) for p in (skip, f"{skip}{SUFFIX}", f"{skip}{SUFFIX}.tmp") if skip}
    for name in inputs:
        path = Path(name)
        files = sorted(p for p in walk_files(path) if p.is_file()) if path.is_dir() else [path]
        for f in files:
            if os.path.abspath(f) in own:
                continue
            try:
                st = f.stat()
                entries.append(f"{f}\t{st.st_size}\t{st.st_mtime_ns}")
            except OSError:
                entries.append(f"{f}\tmissing")
    return hashlib.sha256("\n".join(entries).encode("utf-8", "surrogateescape")).hexdigest()


@dataclass
class ScoreProgress:
    """Progress of one ``slant score -o FILE`` run; ``skip`` items are already in the output."""

    output: Path
    fingerprint: dict
    skip: int = 0
    failures: int = 0
    done: int = 0
    numbering: dict = field(default_factory=dict)  # sentence/paragraph numbers a streamed file has reached
    _bytes: int = field(default=0, repr=False)
    _last_save: float = field(default=0.0, repr=False)

    @property
    def path(self) -> Path:
        return self.output.with_name(self.output.name + SUFFIX)

    @classmethod
    def check(cls, args, fmt: str) -> "ScoreProgress | None":
        """The progress record of this run (None when it writes no resumable file); with
        ``--resume`` the saved one, checked against this command. Touches no file, so it runs
        before the model loads and a refused ``--resume`` costs nothing."""
        resume = getattr(args, "resume", False)
        out = Path(args.output) if args.output else None
        resumable = (out is not None and fmt in RESUMABLE_FORMATS and "-" not in args.inputs
                     and (not out.exists() or out.is_file()))  # not /dev/null, a pipe or a terminal
        if resume and not resumable:
            raise SlantError("--resume needs -o FILE (a regular file) in jsonl, csv or md format and inputs "
                             "other than stdin (json and html outputs are one document and cannot be appended to)")
        if not resumable:
            return None
        progress = cls(Path(args.output), fingerprint(args, fmt))
        if resume and not progress._load() and progress.output.exists():
            raise SlantError(f"{args.output}: nothing to resume (no {progress.path.name}: the run finished, or "
                             "it was not written by slant score -o); drop --resume to score it again")
        return progress

    def open_output(self) -> TextIO:
        """The output file: appended to after the written items when resuming, else written anew
        (with a progress file saying nothing is written yet)."""
        if self.skip or self._bytes:
            os.truncate(self.output, self._bytes)  # a half-written article is cut off
            return open(self.output, "a", encoding="utf-8", newline="")
        out = open(self.output, "w", encoding="utf-8", newline="")
        self.save(out)
        return out

    def _load(self) -> bool:
        if not self.path.exists():
            return False
        try:
            saved = json.loads(self.path.read_text(encoding="utf-8"))
            skip, failures, size = int(saved["items"]), int(saved["failures"]), int(saved["bytes"])
            numbering = dict(saved.get("numbering") or {})
            same = saved["fingerprint"] == self.fingerprint
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise SlantError(f"{self.path}: unreadable progress file ({e}); drop --resume to start over") from None
        if not same:
            raise SlantError(f"{self.output}: was started with other inputs or options; run the same command "
                             "with --resume, or drop --resume to start over")
        if not self.output.exists() or self.output.stat().st_size < size:
            raise SlantError(f"{self.output}: shorter than its progress file says ({size} bytes); "
                             "drop --resume to start over")
        self.skip, self.done, self.failures, self._bytes, self.numbering = skip, skip, failures, size, numbering
        return True

    def mark(self, out: TextIO, done: int, failures: int, numbering: dict | None = None) -> None:
        """``done`` items are completely written: note the output's size now (after a flush,
        so a later interruption mid-article leaves bytes past it, which resuming cuts off),
        and save the progress file if a second has passed since the last save."""
        out.flush()
        self.done, self.failures, self.numbering = done, failures, dict(numbering or {})
        self._bytes = os.fstat(out.fileno()).st_size  # only ever appended to: the size is what is written
        if time.monotonic() - self._last_save >= 1.0:
            self.save(out)

    def save(self, out: TextIO) -> None:
        """Write the progress file for the last marked item (the output synced to disk first)."""
        out.flush()
        os.fsync(out.fileno())
        record = {"items": self.done, "failures": self.failures, "bytes": self._bytes, "numbering": self.numbering,
                  "fingerprint": self.fingerprint}
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(record, indent=1), encoding="utf-8")
        os.replace(tmp, self.path)
        self._last_save = time.monotonic()

    def finish(self) -> None:
        """The output is complete: nothing is left to resume."""
        self.path.unlink(missing_ok=True)
