"""Article summary: how much of the text is framed, in whose voice, and by which words.

The author's framing and quoted framing are counted apart, so an outlet is not
charged for what its sources said.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass, field

from inference.records import ArticleScore


@dataclass
class ArticleSummary:
    doc: str
    sentences: int
    author_sentences: int
    quote_sentences: int
    author_framed: int             # author-voice sentences labelled framing: the views print the count with
    quote_framed: int              # the rate, as 1 of 300 rounds to "0%" and 299 of 300 to "100%"
    framing_rate_author: float     # share of author-voice sentences labelled framing
    framing_rate_quote: float      # share of quoted sentences labelled framing
    mean_score: float              # mean framing probability over all sentences
    top_phrases: list[tuple[str, int]] = field(default_factory=list)
    most_framed: list[dict] = field(default_factory=list)
    main_targets: list[dict] = field(default_factory=list)
    """The most mentioned targets with the author's stance toward them (quoted stance apart)."""

    def to_dict(self) -> dict:
        return asdict(self)


def _rate(flags: list[bool]) -> float:
    return round(sum(flags) / len(flags), 4) if flags else 0.0


def phrase_key(text: str) -> str:
    """A framed phrase as the summary counts it: lower case, without invisible format characters
    (soft hyphen, zero-width space or joiner), whitespace runs made one space. Why: the same
    phrase across a line break of hard-wrapped text ("thumbing their\\nnoses"), after a tab or
    with a soft hyphen was counted as another phrase, and shown with the break in it."""
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    return re.sub(r"\s+", " ", text).strip().lower()


def summarize(article: ArticleScore, top: int = 5) -> ArticleSummary:
    sents = article.sentences
    author = [s for s in sents if s.voice == "author"]
    quote = [s for s in sents if s.voice == "quote"]
    phrases = Counter(phrase_key(sp.text) for s in author for sp in s.spans)
    ranked = sorted(sents, key=lambda s: s.score, reverse=True)
    return ArticleSummary(
        doc=article.doc,
        sentences=len(sents),
        author_sentences=len(author),
        quote_sentences=len(quote),
        author_framed=sum(s.label == "framing" for s in author),
        quote_framed=sum(s.label == "framing" for s in quote),
        framing_rate_author=_rate([s.label == "framing" for s in author]),
        framing_rate_quote=_rate([s.label == "framing" for s in quote]),
        mean_score=round(sum(s.score for s in sents) / len(sents), 4) if sents else 0.0,
        top_phrases=phrases.most_common(top),
        most_framed=[{"index": s.index, "score": s.score, "voice": s.voice, "text": s.text}
                     for s in ranked[:top] if s.label == "framing"],
        main_targets=main_targets(article, top),
    )


def main_targets(article: ArticleScore, top: int = 5) -> list[dict]:
    """Per entity: mentions, author-voice mentions, the author's majority stance and mean
    polarity (P(positive) − P(negative)); the quoted stance is given apart."""
    by_entity: dict[str, list] = {}
    for s in article.sentences:
        for t in s.targets:
            by_entity.setdefault(t.entity, []).append(t)
    rows = []
    for entity, ts in sorted(by_entity.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:top]:
        author = [t for t in ts if t.voice == "author"]
        quoted = [t for t in ts if t.voice != "author"]
        rows.append({"entity": entity, "type": Counter(t.type for t in ts).most_common(1)[0][0], "mentions": len(ts),
                     "author_mentions": len(author), "author_stance": _majority(author),
                     "author_polarity": _mean([t.polarity for t in author]),
                     "quote_stance": _majority(quoted), "quote_polarity": _mean([t.polarity for t in quoted])})
    return rows


def _majority(targets: list) -> str | None:
    """Most frequent stance; a tie goes to the stance of the larger summed probability."""
    if not targets:
        return None
    counts = Counter(t.stance for t in targets)
    weight = Counter()
    for t in targets:
        weight[t.stance] += t.score
    return max(counts, key=lambda k: (counts[k], weight[k]))


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None
