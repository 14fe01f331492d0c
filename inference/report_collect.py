"""What a report keeps of each scored article: counts, not sentences.

A 10,000-article corpus has hundreds of thousands of sentences; the report
needs none of them whole. Each article is reduced to a few counts
(:class:`ArticleStats`, the unit the bootstrap resamples), and per group the
:class:`Collector` keeps only a phrase counter and a short list of the most
framed sentences (pruned as it goes), so memory grows with the number of
articles, not with their length.

Only author-voice sentences feed the phrases and examples: an outlet is not
shown as framing because of what a quoted source said (quoted framing is
still counted, in its own rate). Stance targets follow the same rule: only
author-voice mentions are summed per entity (:func:`author_target_sums`), at
most :data:`MAX_TARGETS` entities per article, so an article costs a few
hundred bytes however many names it mentions.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from inference.records import ArticleScore, SentenceScore
from inference.report_corpus import Article
from inference.summary import phrase_key
from inference.targets import name_key

__all__ = ["ArticleStats", "Example", "Collector", "author_target_sums", "entity_key"]

#: Phrase counters are pruned to this many entries per group (keeping the most frequent).
MAX_PHRASES = 20_000
#: Entities kept per article (the most mentioned ones): bounds memory on articles that list hundreds of names.
MAX_TARGETS = 50
_STANCES = {"negative": 2, "neutral": 3, "positive": 4}  # index into an author_target_sums tuple

#: Per-entity sums of one article: (mentions, sum of polarity, negative, neutral, positive).
TargetSums = tuple[int, float, int, int, int]


@dataclass(slots=True)
class ArticleStats:
    """The counts of one article; every group-level figure is a ratio of sums of these."""

    id: str
    group: str
    story: str | None
    sentences: int
    words: int
    author: int            # author-voice sentences
    author_framed: int
    quote: int             # quoted sentences
    quote_framed: int
    framed: int            # framed sentences, either voice
    score_sum: float       # sum of framing probabilities over all sentences
    targets: dict[str, TargetSums] = field(default_factory=dict)  # entity_key -> author-voice sums

    @property
    def author_rate(self) -> float | None:
        return self.author_framed / self.author if self.author else None


@dataclass
class Example:
    """A framed sentence shown in the report, with the article it links to."""

    group: str
    article: str
    title: str
    url: str
    sentence: SentenceScore

    @property
    def score(self) -> float:
        return self.sentence.score

    def to_dict(self) -> dict:
        s = self.sentence
        return {"group": self.group, "article": self.article, "title": self.title, "url": self.url,
                "score": s.score, "voice": s.voice, "text": s.text,
                "spans": [{"start": sp.start - s.start, "end": sp.end - s.start, "text": sp.text,
                           "technique": sp.technique, "score": sp.score} for sp in s.spans]}


@dataclass
class Collector:
    """Accumulates articles as they are scored; feed it with :meth:`add`."""

    examples_per_group: int = 5
    articles: list[ArticleStats] = field(default_factory=list)
    phrases: dict[str, Counter] = field(default_factory=dict)
    examples: dict[str, dict[str, Example]] = field(default_factory=dict)
    spans_available: bool = True
    targets_available: bool = False   # some article came from a model with a stance head (or had targets)
    entity_names: dict[str, Counter] = field(default_factory=dict)  # entity_key -> Counter of written forms
    entity_types: dict[str, Counter] = field(default_factory=dict)  # entity_key -> Counter of NER types
    threshold: float | None = None

    def add(self, article: Article, scores: ArticleScore) -> ArticleStats:
        sents = scores.sentences
        author = [s for s in sents if s.voice != "quote"]
        quote = [s for s in sents if s.voice == "quote"]
        stats = ArticleStats(
            id=article.id, group=article.group, story=article.story, sentences=len(sents),
            words=len(article.text.split()), author=len(author),
            author_framed=sum(s.label == "framing" for s in author), quote=len(quote),
            quote_framed=sum(s.label == "framing" for s in quote),
            framed=sum(s.label == "framing" for s in sents), score_sum=float(sum(s.score for s in sents)),
        )
        self.articles.append(stats)
        self.spans_available = self.spans_available and scores.spans_available
        self.threshold = scores.threshold
        phrases = self.phrases.setdefault(article.group, Counter())
        for s in author:
            phrases.update(phrase_key(sp.text) for sp in s.spans)  # as the article summary counts them
        if len(phrases) > MAX_PHRASES:
            self.phrases[article.group] = Counter(dict(phrases.most_common(MAX_PHRASES // 2)))
        self._keep_examples(article, [s for s in author if s.label == "framing"])
        stats.targets = author_target_sums(sents, self.entity_names, self.entity_types)
        self.targets_available = self.targets_available or scores.targets_available or any(s.targets for s in sents)
        return stats

    def _keep_examples(self, article: Article, framed: list[SentenceScore]) -> None:
        """Keep the most framed sentences per group; one entry per distinct text (boilerplate repeats)."""
        pool = self.examples.setdefault(article.group, {})
        k = self.examples_per_group
        for s in sorted(framed, key=lambda s: s.score, reverse=True)[:k]:
            key = " ".join(s.text.lower().split())
            if key not in pool or pool[key].score < s.score:
                pool[key] = Example(article.group, article.id, article.title, article.url, s)
        if len(pool) > 4 * k:
            best = sorted(pool.items(), key=lambda kv: kv[1].score, reverse=True)[:k]
            self.examples[article.group] = dict(best)

    def groups(self) -> list[str]:
        return sorted({a.group for a in self.articles})

    def top_examples(self, group: str) -> list[Example]:
        pool = self.examples.get(group, {})
        return sorted(pool.values(), key=lambda e: e.score, reverse=True)[:self.examples_per_group]

    def top_phrases(self, group: str, k: int = 10) -> list[tuple[str, int]]:
        return self.phrases.get(group, Counter()).most_common(k)


def entity_key(entity: str) -> str:
    """How entities are matched across articles: the grouped name, case- and spacing-insensitive,
    a hyphen inside a name a space ("Kim Jong-Un" is "Kim Jong Un"), as within an article."""
    return " ".join(name_key(entity).split()).casefold()


def author_target_sums(sentences: list[SentenceScore], names: dict[str, Counter] | None = None,
                       types: dict[str, Counter] | None = None) -> dict[str, TargetSums]:
    """Author-voice stance targets of one article, summed per entity (at most :data:`MAX_TARGETS`).

    Quoted mentions are left out: what a source says about someone is not the
    outlet's stance. Entities are keyed by :func:`entity_key` of the
    article-level grouped name, so "Kim" and "Kim Jong Un" in one article are
    already one entity and match "kim jong un" elsewhere. When ``names`` is
    given, the written forms of the kept entities are counted into it (the
    report shows the most common one), and their NER types into ``types``.
    """
    sums: dict[str, list] = {}
    written: dict[str, Counter] = {}
    kinds: dict[str, Counter] = {}
    for s in sentences:
        for t in s.targets:
            if t.voice == "quote" or not t.entity.strip() or not math.isfinite(t.polarity):
                continue
            key = entity_key(t.entity)
            row = sums.setdefault(key, [0, 0.0, 0, 0, 0])
            row[0] += 1
            row[1] += t.polarity
            if t.stance in _STANCES:
                row[_STANCES[t.stance]] += 1
            written.setdefault(key, Counter())[" ".join(t.entity.split())] += 1
            kinds.setdefault(key, Counter())[t.type] += 1
    keep = sorted(sums, key=lambda k: (-sums[k][0], k))[:MAX_TARGETS]
    if names is not None:
        for k in keep:
            names.setdefault(k, Counter()).update(written[k])
    if types is not None:
        for k in keep:
            types.setdefault(k, Counter()).update(kinds[k])
    return {k: (sums[k][0], float(sums[k][1]), sums[k][2], sums[k][3], sums[k][4]) for k in keep}
