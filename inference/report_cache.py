"""Score a corpus once: a sentence-score cache beside the report, filled article by article.

Scoring is the slow part of a report; grouping and statistics take seconds.
So scores are kept in an SQLite file beside the output (``slant-cache.sqlite``
in the output's folder), keyed by the model and the SHA-256 of the article
text. A rerun, a regrouping (``--by topic``) or a second report written to
the same folder reads them back instead of scoring again, and since every
article is committed as soon as it is scored, an interrupted run resumes
where it stopped. The key holds a fingerprint of the weights file as well as
``scorer.model_id``, so retraining into the same folder cannot serve stale
scores. Labels are not stored: they are recomputed from the score and the
scorer's threshold on the way out.

Rows are compact: sentence, span and mention texts are not stored (they are
slices of the article text, which the caller has anyway), and the JSON is
zlib-packed, so a 10,000-article corpus costs tens of MB, not hundreds.

Each row carries its format version (:data:`FORMAT`). A row written by an
older version (version 1 had no stance targets, version 2 gave every target its
sentence's voice) is treated as missing, so
the article is scored again and the row replaced: an old cache can never
hand back records that silently lack their targets.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
import zlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from inference.records import ArticleScore, SentenceScore, Span, Target
from inference.report_corpus import Article
from models.errors import ModelUnavailable, SlantError

if TYPE_CHECKING:  # torch is slow to import; the CLI loads the scorer only once the arguments are checked
    from inference.scorer import Scorer

__all__ = ["CACHE_NAME", "FORMAT", "ScoreCache", "ScoringRun", "cache_path_for", "model_key", "text_key"]

CACHE_NAME = "slant-cache.sqlite"
#: Version of the packed row; bump it whenever a field is added or scoring changes what a row holds
#: (the same model and text scored by this code would differ), so older rows are rescored, not mixed in.
#: 1: sentences and spans; 2: stance targets and ``targets_available``; 3: a target's voice is its own
#: (reported speech is the speaker's), no longer always the sentence's; 4: segmentation repairs and
#: hard-wrapped paragraphs, block-quoted and attributed sentences and embedded posts as quotes, names
#: the recogniser cut in pieces joined; 5: a sentence ends at an initialism before a pronoun or
#: determiner ("Washington, D.C. He said").
FORMAT = 5
_SCHEMA = """CREATE TABLE IF NOT EXISTS scores (
    model TEXT NOT NULL, text_sha256 TEXT NOT NULL, record BLOB NOT NULL,
    PRIMARY KEY (model, text_sha256))"""


def cache_path_for(output: str | Path) -> Path:
    """The cache file for a report written to ``output``: shared by every report in that folder."""
    return Path(output).resolve().parent / CACHE_NAME


def text_key(text: str, quotations: Sequence[tuple[int, int]] = ()) -> str:
    """The article's cache key: its text, and the quotation ranges its page marks (they change
    voices, so the same text with and without them is scored apart; without, the key is unchanged)."""
    if quotations:
        text += "\0quotations:" + ",".join(f"{a}-{b}" for a, b in quotations)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def model_key(scorer: "Scorer") -> str:
    """``scorer.model_id`` plus each folder's ``folder_digest`` (weights and ``meta.json``): the
    meta's temperatures, thresholds and stance prior change the scores as weights do."""
    from models.model_folder import folder_digest

    return scorer.model_id + "".join(f"#{folder_digest(f)}" for f in getattr(scorer, "model_folders", []))


def _encode(article: ArticleScore) -> bytes:
    sents = [[s.index, s.paragraph, s.start, s.end, s.score, s.voice,
              [[sp.start, sp.end, sp.score, sp.technique] for sp in s.spans],
              [[t.start, t.end, t.entity, t.type, t.stance, t.score, t.polarity, t.voice] for t in s.targets]]
             for s in article.sentences]
    return zlib.compress(json.dumps({"v": FORMAT, "spans": article.spans_available,
                                     "targets": article.targets_available, "s": sents},
                                    separators=(",", ":")).encode("utf-8"))


class _Stale(ValueError):
    """A row in an older format: score the article again rather than guess the missing fields."""


def _decode(blob: bytes, text: str, doc: str, threshold: float) -> ArticleScore:
    data = json.loads(zlib.decompress(blob))
    if data.get("v") != FORMAT:
        raise _Stale(f"cache row format {data.get('v', 1)}, expected {FORMAT}")
    sentences = [
        SentenceScore(doc=doc, index=i, paragraph=p, start=a, end=b, text=text[a:b], score=sc,
                      label="framing" if sc >= threshold else "neutral", voice=v,
                      spans=[Span(start=x, end=y, text=text[x:y], score=ps, technique=t) for x, y, ps, t in spans],
                      targets=[Target(start=x, end=y, text=text[x:y], entity=e, type=ty, stance=st, score=ts,
                                      polarity=pol, voice=tv) for x, y, e, ty, st, ts, pol, tv in targets])
        for i, p, a, b, sc, v, spans, targets in data["s"]
    ]
    return ArticleScore(doc=doc, sentences=sentences, threshold=threshold, spans_available=data["spans"],
                        targets_available=data["targets"])


class ScoreCache:
    """Sentence scores per (model, text hash) in one SQLite file; commits every put."""

    def __init__(self, path: str | Path, model: str) -> None:
        self.path, self.model = Path(path), model
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute(_SCHEMA)
        except (sqlite3.DatabaseError, OSError) as e:
            raise self._error(e) from None

    def _error(self, e: Exception) -> SlantError:
        """Advise deleting the cache only when the file itself is damaged: a read-only folder, a full
        disk or a second run holding the file leave a valid cache, and it may hold hours of scoring."""
        name = getattr(e, "sqlite_errorname", "")  # the sqlite result code, e.g. SQLITE_READONLY, SQLITE_FULL
        if name in ("SQLITE_NOTADB", "SQLITE_CORRUPT"):
            return SlantError(f"score cache {self.path}: damaged ({e}); delete the file to start a fresh cache")
        if name in ("SQLITE_BUSY", "SQLITE_LOCKED"):
            return SlantError(f"score cache {self.path}: in use by another process ({e}); wait for the other "
                              "'slant report' into that folder to finish, or write this report to another folder")
        reason = getattr(e, "strerror", None) or e
        return SlantError(f"score cache {self.path}: cannot write it ({reason}); its folder cannot be written or "
                          "the disk is full — free space or choose another output folder with -o (the cache is not "
                          "damaged)")

    def get(self, text: str, doc: str, threshold: float, quotations: Sequence[tuple[int, int]] = ()) -> ArticleScore | None:
        row = self.db.execute("SELECT record FROM scores WHERE model=? AND text_sha256=?",
                              (self.model, text_key(text, quotations))).fetchone()
        if row is None:
            return None
        try:
            return _decode(row[0], text, doc, threshold)
        except (zlib.error, ValueError, TypeError, KeyError):
            return None  # a damaged or older-format row is simply scored again

    def put(self, text: str, article: ArticleScore, quotations: Sequence[tuple[int, int]] = ()) -> None:
        try:
            self.db.execute("INSERT OR REPLACE INTO scores VALUES (?, ?, ?)",
                            (self.model, text_key(text, quotations), _encode(article)))
            self.db.commit()
        except sqlite3.DatabaseError as e:  # e.g. the disk filled up mid-run: what is committed stays
            raise self._error(e) from None

    def __len__(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM scores WHERE model=?", (self.model,)).fetchone()[0]

    def close(self) -> None:
        self.db.close()


class ScoringRun:
    """Iterate ``(article, scores)`` for a corpus, from the cache where possible.

    Counts what it did in :attr:`scored`, :attr:`cached` and :attr:`failed`;
    an article the scorer refuses (e.g. no sentence in it) is reported through
    ``warn`` and left out.
    """

    def __init__(self, articles: Iterable[Article], scorer: "Scorer", cache: ScoreCache, *,
                 total: int | None = None, progress: bool = True, console: Console | None = None,
                 warn=None) -> None:
        self.articles, self.scorer, self.cache, self.total = articles, scorer, cache, total
        self.progress, self.console = progress, console or Console(stderr=True, highlight=False)
        self.warn = warn or (lambda m: self.console.print(f"slant: warning: {m}", markup=False))
        self.scored = self.cached = self.failed = 0

    @property
    def done(self) -> int:
        return self.scored + self.cached

    def __iter__(self) -> Iterator[tuple[Article, ArticleScore]]:
        columns = (TextColumn("scoring"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[note]}"),
                   TimeElapsedColumn(), TimeRemainingColumn())
        with Progress(*columns, console=self.console, transient=True,
                      disable=not (self.progress and self.console.is_terminal)) as bar:
            task = bar.add_task("score", total=self.total, note="")
            for art in self.articles:
                scores = self.cache.get(art.text, art.id, self.scorer.threshold, art.quotations)
                if scores is not None:
                    self.cached += 1
                else:
                    try:
                        scores = self.scorer.score(art.text, doc=art.id, quotations=art.quotations)
                    except ModelUnavailable:
                        raise  # every article would fail the same way
                    except SlantError as e:
                        self.failed += 1
                        self.warn(f"{art.where}: {e}; article skipped")
                        bar.update(task, advance=1)
                        continue
                    self.cache.put(art.text, scores, art.quotations)
                    self.scored += 1
                bar.update(task, advance=1, note=f"{self.cached} cached")
                yield art, scores
