"""Span evaluation for the token head, and a lexicon baseline to beat.

Loaded-word spans are judged three ways because each answers a different
question: *exact* span F1 (did we find the phrase with the right boundaries?),
*overlap* span F1 (did we point at the right place? — boundaries of loaded
language are fuzzy even between annotators, cf. SemEval-2020 Task 11's relaxed
scoring), and *token* F1 (how many words are marked correctly?).

Spans are character offsets ``[start, end)`` into their text, given either as
schema dicts ``{"start", "end", "technique"}`` or tuples ``(start, end, technique)``.
"""
from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from typing import Any, Iterable, Literal, Mapping, Sequence, Union

import numpy as np
from sklearn.metrics import precision_recall_fscore_support

from models.errors import SlantError
from training.schema import TECHNIQUES

Span = Union[Mapping[str, Any], Sequence[Any]]
"""``{"start": int, "end": int, "technique": str}`` or ``(start, end, technique)``."""

_WORD = re.compile(r"\w+")


def _norm(span: Span) -> tuple[int, int, str]:
    if isinstance(span, Mapping):
        s, e, t = span["start"], span["end"], span.get("technique", "")
    else:
        s, e, t = span[0], span[1], (span[2] if len(span) > 2 else "")
    return int(s), int(e), str(t)


def _prep(docs: Sequence[Iterable[Span]], technique: str | None, ignore_technique: bool) -> list[list[tuple[int, int, str]]]:
    out = []
    for doc in docs:
        spans = [_norm(s) for s in doc]
        if technique is not None:
            spans = [s for s in spans if s[2] == technique]
        if ignore_technique:
            spans = [(s, e, "") for s, e, _ in spans]
        out.append(spans)
    return out


def _prf(tp_pred: int, n_pred: int, tp_gold: int, n_gold: int) -> dict[str, float | int]:
    p = tp_pred / n_pred if n_pred else 0.0
    r = tp_gold / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f, "n_gold": n_gold, "n_pred": n_pred,
            "tp_gold": tp_gold, "tp_pred": tp_pred}


def _overlaps(a: tuple[int, int, str], b: tuple[int, int, str]) -> bool:
    return a[2] == b[2] and a[0] < b[1] and b[0] < a[1]


def span_prf(
    gold: Sequence[Iterable[Span]],
    pred: Sequence[Iterable[Span]],
    technique: str | None = None,
    mode: Literal["exact", "overlap"] = "exact",
    ignore_technique: bool = False,
) -> dict[str, float | int]:
    """Micro span precision/recall/F1 over all documents.

    ``technique``: restrict gold and pred to that technique; ``None`` scores
    all techniques together, and a match still needs the same technique.
    ``ignore_technique=True`` drops techniques entirely (span identification
    only, like SemEval-2020 Task 11 SI).

    - ``exact``: a span matches iff (start, end, technique) are equal; matched
      counts use multiset intersection per document, so ``tp_pred == tp_gold``.
    - ``overlap``: a predicted span is a true positive iff it shares at least
      one character with some gold span (same technique); precision =
      matched-pred / n_pred and recall = matched-gold / n_gold, where a gold
      span is matched iff some prediction overlaps it. One long prediction
      covering two gold spans thus counts once for P and twice for R.

    Empty denominators give 0.0 (read ``n_gold``/``n_pred`` to tell "nothing to
    find" from "missed everything").
    """
    if mode not in ("exact", "overlap"):
        raise SlantError(f"span_prf: mode must be 'exact' or 'overlap', got {mode!r}")
    if len(gold) != len(pred):
        raise SlantError(f"span_prf: {len(gold)} gold documents but {len(pred)} predicted (align them by row)")
    g_docs = _prep(gold, technique, ignore_technique)
    p_docs = _prep(pred, technique, ignore_technique)
    n_gold = sum(len(d) for d in g_docs)
    n_pred = sum(len(d) for d in p_docs)
    tp_gold = tp_pred = 0
    for g, p in zip(g_docs, p_docs):
        if mode == "exact":
            tp = sum((Counter(g) & Counter(p)).values())
            tp_gold += tp
            tp_pred += tp
        else:
            tp_pred += sum(any(_overlaps(ps, gs) for gs in g) for ps in p)
            tp_gold += sum(any(_overlaps(gs, ps) for ps in p) for gs in g)
    return _prf(tp_pred, n_pred, tp_gold, n_gold)


def span_breakdown(gold: Sequence[Iterable[Span]], pred: Sequence[Iterable[Span]], technique: str) -> dict[str, Counter]:
    """Where one technique's overlap errors fall, which ``span_prf`` folds into two numbers.

    ``pred``: each predicted span of ``technique``, by what it overlaps — ``"hit"`` (a gold span of
    the technique), the name of another technique's gold span (the first it overlaps), or
    ``"none"`` (no annotated span: a false alarm, or a loaded word the annotators left out).
    ``gold``: each gold span of ``technique`` — ``"found"``, the other technique it was predicted
    as, or ``"missed"``. The counts of ``"hit"`` and ``"found"`` are ``span_prf``'s ``tp_pred`` and
    ``tp_gold`` in overlap mode."""
    if len(gold) != len(pred):
        raise SlantError(f"span_breakdown: {len(gold)} gold documents but {len(pred)} predicted (align them by row)")
    out = {"pred": Counter(), "gold": Counter()}
    for g_doc, p_doc in zip(_prep(gold, None, False), _prep(pred, None, False)):
        for mine, other, key, own, nothing in ((p_doc, g_doc, "pred", "hit", "none"),
                                                (g_doc, p_doc, "gold", "found", "missed")):
            for s, e, t in (x for x in mine if x[2] == technique):
                touched = [o[2] for o in other if o[0] < e and s < o[1]]
                out[key][own if technique in touched else next(iter(touched), nothing)] += 1
    return out


def _token_matrix(docs: list[list[tuple[int, int, str]]], token_offsets: list[list[tuple[int, int]]],
                  columns: list[str]) -> np.ndarray:
    col = {t: i for i, t in enumerate(columns)}
    rows = []
    for spans, toks in zip(docs, token_offsets):
        m = np.zeros((len(toks), len(columns)), dtype=np.int8)
        for s, e, t in spans:
            for i, (ts, te) in enumerate(toks):
                if ts < e and s < te:
                    m[i, col[t]] = 1
        rows.append(m)
    return np.concatenate(rows) if rows else np.zeros((0, len(columns)), dtype=np.int8)


def token_prf(
    gold: Sequence[Iterable[Span]],
    pred: Sequence[Iterable[Span]],
    texts: Sequence[str],
    technique: str | None = None,
    ignore_technique: bool = False,
) -> dict[str, float | int]:
    """Token-level micro P/R/F1; tokens are the ``\\w+`` words of each text.

    A token is positive for a technique iff it shares a character with a span of
    that technique. With ``technique=None`` each (token, technique) pair is one
    decision (micro-averaged over techniques, so a right word with the wrong
    technique is both a FP and a FN); ``ignore_technique=True`` makes a token
    positive iff any span covers it.
    """
    if not (len(gold) == len(pred) == len(texts)):
        raise SlantError(
            f"token_prf: {len(gold)} gold, {len(pred)} predicted and {len(texts)} texts (align them by row)"
        )
    g_docs = _prep(gold, technique, ignore_technique)
    p_docs = _prep(pred, technique, ignore_technique)
    columns = sorted({s[2] for d in g_docs + p_docs for s in d}) or [technique or ""]
    toks = [[m.span() for m in _WORD.finditer(t)] for t in texts]
    yg = _token_matrix(g_docs, toks, columns)
    yp = _token_matrix(p_docs, toks, columns)
    n_gold, n_pred = int(yg.sum()), int(yp.sum())
    if yg.shape[0] == 0:
        p = r = f = 0.0
    elif yg.shape[1] == 1:
        # sklearn reads an (n, 1) matrix as binary, where "micro" would be accuracy.
        p, r, f, _ = precision_recall_fscore_support(
            yg[:, 0], yp[:, 0], average="binary", labels=[1], zero_division=0)
    else:
        p, r, f, _ = precision_recall_fscore_support(yg, yp, average="micro", zero_division=0)
    tp = int((yg & yp).sum())
    return {"precision": float(p), "recall": float(r), "f1": float(f), "n_gold": n_gold, "n_pred": n_pred,
            "tp_gold": tp, "tp_pred": tp, "n_tokens": int(yg.shape[0])}


def _report_entry(gold, pred, texts, technique, ignore_technique=False) -> dict[str, dict[str, float | int]]:
    return {
        "exact": span_prf(gold, pred, technique, "exact", ignore_technique),
        "overlap": span_prf(gold, pred, technique, "overlap", ignore_technique),
        "token": token_prf(gold, pred, texts, technique, ignore_technique),
    }


def span_report(
    gold: Sequence[Iterable[Span]],
    pred: Sequence[Iterable[Span]],
    texts: Sequence[str],
    techniques: Sequence[str] = TECHNIQUES,
) -> dict[str, Any]:
    """Exact, overlap and token P/R/F1: ``overall`` (technique must match),
    ``spans_only`` (techniques ignored) and ``per_technique[t]``."""
    return {
        "overall": _report_entry(gold, pred, texts, None),
        "spans_only": _report_entry(gold, pred, texts, None, ignore_technique=True),
        "per_technique": {t: _report_entry(gold, pred, texts, t) for t in techniques},
    }


def format_span_report(report: dict[str, Any]) -> str:
    """Plain-text table of a ``span_report``: one row per scope, F1 per measure."""
    rows = [("overall", report["overall"]), ("spans_only", report["spans_only"])]
    rows += list(report.get("per_technique", {}).items())
    width = max(12, *(len(name) for name, _ in rows))
    lines = [f"{'scope':<{width}}  {'exact_f1':>8}  {'overlap_f1':>10}  {'token_f1':>8}  {'n_gold':>6}  {'n_pred':>6}"]
    for name, e in rows:
        lines.append(
            f"{name:<{width}}  {e['exact']['f1']:>8.3f}  {e['overlap']['f1']:>10.3f}  {e['token']['f1']:>8.3f}  "
            f"{e['exact']['n_gold']:>6}  {e['exact']['n_pred']:>6}"
        )
    return "\n".join(lines)


def _phrase_key(s: str) -> str:
    """Lowercase, collapse whitespace, strip non-word characters at both ends."""
    return re.sub(r"^\W+|\W+$", "", re.sub(r"\s+", " ", s.lower()))


def _pieces(s: str) -> tuple[str, ...]:
    """Alternating word / separator runs, separators with whitespace collapsed.

    Matching on these tuples is the same relation as the predict regex:
    whole words, case-insensitive (caller lowercases), any run of whitespace.
    """
    return tuple(p if _WORD.match(p) else re.sub(r"\s+", " ", p) for p in re.findall(r"\w+|\W+", s))


def _count_phrases(keys: Sequence[str], texts: Sequence[str]) -> Counter[str]:
    """Whole-word occurrences of each multi-word key in ``texts``, in one pass per phrase length."""
    by_len: dict[int, dict[tuple[str, ...], str]] = defaultdict(dict)
    for k in keys:
        pk = _pieces(k)
        by_len[len(pk)][pk] = k
    counts: Counter[str] = Counter()
    if not by_len:
        return counts
    for text in texts:
        pt = _pieces(text.lower())
        for n, cands in by_len.items():
            for i in range(len(pt) - n + 1):
                if _WORD.match(pt[i]):
                    hit = cands.get(pt[i:i + n])
                    if hit is not None:
                        counts[hit] += 1
    return counts


def _phrase_pattern(key: str) -> str:
    return r"\s+".join(re.escape(part) for part in key.split(" "))


class LexiconBaseline:
    """Word/phrase list learned from training spans: the "no model" span baseline.

    ``fit`` collects every lowercased span text and every word inside a span,
    estimates precision = (occurrences inside a span) / (all whole-word
    occurrences in the training texts), and keeps entries with precision >=
    ``min_precision`` and in-span count >= ``min_count``, each labelled with
    its majority technique. Learn it on the train split only, or the
    precision estimate leaks the test labels.
    """

    FORMAT = "slant-lexicon-v1"

    def __init__(self, min_precision: float = 0.3, min_count: int = 2) -> None:
        self.min_precision = float(min_precision)
        self.min_count = int(min_count)
        self.entries: dict[str, dict[str, Any]] = {}
        self._regex: re.Pattern[str] | None = None

    def fit(self, texts: Sequence[str], spans_per_text: Sequence[Iterable[Span]]) -> "LexiconBaseline":
        """Learn the lexicon from training texts and their gold spans."""
        if len(texts) != len(spans_per_text):
            raise SlantError(f"LexiconBaseline.fit: {len(texts)} texts but {len(spans_per_text)} span lists")
        in_span: Counter[str] = Counter()
        votes: dict[str, Counter[str]] = defaultdict(Counter)
        word_total: Counter[str] = Counter()
        for text, spans in zip(texts, spans_per_text):
            spans_n = [_norm(s) for s in spans]
            for m in _WORD.finditer(text):
                w = m.group().lower()
                word_total[w] += 1
                techs = {t for s, e, t in spans_n if s < m.end() and m.start() < e}
                if techs:  # each word occurrence counts once, whatever the overlaps
                    in_span[w] += 1
                    votes[w].update(techs)
            seen: dict[tuple[int, int], set[str]] = defaultdict(set)
            for s, e, t in spans_n:
                seen[(s, e)].add(t)
            for (s, e), techs in seen.items():
                key = _phrase_key(text[s:e])
                if key and not _WORD.fullmatch(key):  # single words were counted above
                    in_span[key] += 1
                    votes[key].update(techs)
        # Occurrence counts: words come from word_total; phrases (only those that
        # can pass min_count) from one pass over word/separator windows.
        wanted = [k for k, c in in_span.items() if c >= self.min_count]
        phrase_count = _count_phrases([k for k in wanted if not _WORD.fullmatch(k)], texts)
        total = {k: word_total[k] if _WORD.fullmatch(k) else max(phrase_count[k], in_span[k]) for k in wanted}
        self.entries = {}
        for key, n in total.items():
            prec = min(in_span[key] / n, 1.0)
            if prec >= self.min_precision:
                tech = sorted(votes[key].items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
                self.entries[key] = {"technique": tech, "precision": prec, "count": in_span[key]}
        self._regex = None
        return self

    def _compiled(self) -> re.Pattern[str] | None:
        if self._regex is None and self.entries:
            alts = sorted(self.entries, key=lambda k: (-len(k), k))
            body = "|".join(_phrase_pattern(k) for k in alts)
            # Zero-width lookahead so matches starting at every position are found;
            # alternatives are longest-first, so each position yields its longest entry.
            self._regex = re.compile(r"(?<!\w)(?=((?:" + body + r"))(?!\w))", re.IGNORECASE)
        return self._regex

    def predict(self, texts: Sequence[str]) -> list[list[dict[str, Any]]]:
        """Whole-word, case-insensitive matches; longest first, no overlaps; sorted by start."""
        rx = self._compiled()
        out: list[list[dict[str, Any]]] = []
        for text in texts:
            if rx is None:
                out.append([])
                continue
            cands = []
            for m in rx.finditer(text):
                entry = self.entries.get(_phrase_key(m.group(1)))
                if entry is not None:
                    cands.append((m.start(1), m.end(1), entry["technique"]))
            cands.sort(key=lambda c: (-(c[1] - c[0]), c[0]))
            taken: list[tuple[int, int, str]] = []
            for c in cands:
                if all(c[1] <= s or e <= c[0] for s, e, _ in taken):
                    taken.append(c)
            out.append([{"start": s, "end": e, "technique": t} for s, e, t in sorted(taken)])
        return out

    def to_json(self) -> str:
        """JSON text for saving inside a model folder (no pickle: safe to load)."""
        return json.dumps(
            {"format": self.FORMAT, "min_precision": self.min_precision, "min_count": self.min_count,
             "entries": self.entries},
            indent=1, sort_keys=True, ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> "LexiconBaseline":
        """Inverse of ``to_json``; raises ``SlantError`` on a file of another format."""
        try:
            data = json.loads(text)
            if data.get("format") != cls.FORMAT:
                raise ValueError(f"format is {data.get('format')!r}, expected {cls.FORMAT!r}")
            lex = cls(data["min_precision"], data["min_count"])
            lex.entries = {
                str(k): {"technique": str(v["technique"]), "precision": float(v["precision"]), "count": int(v["count"])}
                for k, v in data["entries"].items()
            }
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise SlantError(f"lexicon file is not a Slant lexicon ({e}); re-create it with LexiconBaseline.fit") from e
        return lex
