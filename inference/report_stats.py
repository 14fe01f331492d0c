"""Group figures, their uncertainty, and comparisons between groups.

Why the choices:

* Every rate is a ratio of sums over articles (framed sentences / sentences,
  framed sentences / words), and every interval is a percentile bootstrap that
  resamples **articles**, not sentences: sentences of one article share an
  author, an editor and a story, so treating them as independent would give
  intervals far too narrow.
* Differences between two groups get a bootstrap interval (each group
  resampled on its own) and a **permutation** p-value (article labels shuffled
  between the two groups), which needs no normality. The p-values of all pairs
  are Holm-corrected, because with 8 outlets there are 28 pairs and some would
  look "significant" by chance.
* The same-story comparison asks whether an outlet frames more than the others
  *on the stories they both covered*: per shared story, the outlet's rate
  minus the others' rate, averaged over stories; labels are permuted within
  each story only, so story choice cannot masquerade as framing. Its interval
  resamples stories, then articles within each story (two stages), since an
  outlet often has a single article per story.
* A group with a single article has a value but no interval ("n/a"): one
  article cannot show how much articles vary.
* Only the two framed-sentence rates are split by voice. The mean score and
  the framed sentences per 1,000 words count every sentence, quotes included
  (the words are the whole article's), and their labels say so: a reader must
  not take them for the outlet's own voice.
* Every list has one documented order, set here and nowhere else, so the
  four output formats list the same rows in the same order
  (:func:`pair_order`: the HTML and Markdown tables sorted pairs differently).

All randomness comes from one seeded ``numpy.random.Generator``: the same
corpus and seed give the same report.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from inference.report_collect import ArticleStats, Collector

if TYPE_CHECKING:  # report_stance builds on this module's estimates, so it is imported where it is used
    from inference.report_stance import StanceTable

__all__ = ["Estimate", "GroupStats", "Comparison", "StoryComparison", "TopicCell", "CorpusReport", "METRICS",
           "PRIMARY", "MAX_TOPICS", "ratio_estimate", "holm", "pair_order", "compare_pair", "same_story",
           "build_report"]

#: metric name -> (numerator field, denominator field, scale, label)
METRICS: dict[str, tuple[str, str, float, str]] = {
    "author_rate": ("author_framed", "author", 1.0, "framed-sentence rate, author's voice"),
    "quote_rate": ("quote_framed", "quote", 1.0, "framed-sentence rate, in quotes"),
    "mean_score": ("score_sum", "sentences", 1.0, "mean framing score, quotes included"),
    "per_1000_words": ("framed", "words", 1000.0, "framed sentences per 1,000 words, quotes included"),
}
#: The metric groups are compared on.
PRIMARY = "author_rate"
#: Shared stories from which a same-story interval is given even when an outlet has one article per story.
MIN_STORIES_FOR_CI = 5
#: Topics (stories) shown in the per-topic table: the most covered ones.
MAX_TOPICS = 40
_CHUNK_CELLS = 2_000_000  # bootstrap/permutation matrices are built in chunks of about this many cells


@dataclass
class Estimate:
    """A value with a 95 % interval; ``None`` means not available (no data, or a single article)."""

    value: float | None
    low: float | None = None
    high: float | None = None

    @property
    def has_ci(self) -> bool:
        return self.low is not None and self.high is not None


@dataclass
class GroupStats:
    name: str
    articles: int
    sentences: int
    words: int
    author_sentences: int
    quote_sentences: int
    estimates: dict[str, Estimate]
    article_rates: list[float]                 # author-voice framed rate of each article with author sentences
    top_phrases: list[tuple[str, int]] = field(default_factory=list)
    examples: list = field(default_factory=list)   # report_collect.Example


@dataclass
class Comparison:
    a: str
    b: str
    metric: str
    diff: Estimate          # a minus b
    p: float | None = None
    p_holm: float | None = None


@dataclass
class StoryComparison:
    group: str
    stories: int            # shared stories used
    articles: int           # the group's articles on them
    others: int             # the other groups' articles on them
    diff: Estimate          # mean over stories of (group rate - others' rate)
    p: float | None = None
    p_holm: float | None = None


@dataclass
class TopicCell:
    group: str              # "" for all groups together
    topic: str
    articles: int
    rate: float | None      # author-voice framed rate


@dataclass
class CorpusReport:
    groups: list[GroupStats]
    pairwise: list[Comparison]
    same_story: list[StoryComparison]
    topics: list[TopicCell]
    meta: dict
    stance: "StanceTable | None" = None     # group × target stance (inference.report_stance)

    def to_dict(self) -> dict:
        d = asdict(self)
        for g, src in zip(d["groups"], self.groups):
            g["examples"] = [e.to_dict() for e in src.examples]
        return d


# ---- helpers -------------------------------------------------------------------------------

def _arrays(arts: list[ArticleStats], metric: str) -> tuple[np.ndarray, np.ndarray, float]:
    num_f, den_f, scale, _ = METRICS[metric]
    num = np.fromiter((getattr(a, num_f) for a in arts), dtype=np.float64, count=len(arts))
    den = np.fromiter((getattr(a, den_f) for a in arts), dtype=np.float64, count=len(arts))
    return num, den, scale


def _chunks(total: int, width: int):
    step = max(1, _CHUNK_CELLS // max(1, width))
    for start in range(0, total, step):
        yield min(step, total - start)


def _boot_ratios(num: np.ndarray, den: np.ndarray, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """``resamples`` bootstrap replicates of sum(num)/sum(den), articles drawn with replacement (NaN if den sums to 0)."""
    n, out = len(num), []
    for size in _chunks(resamples, n):
        idx = rng.integers(0, n, size=(size, n))
        d = den[idx].sum(1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out.append(np.where(d > 0, num[idx].sum(1) / d, np.nan))
    return np.concatenate(out) if out else np.zeros(0)


def _interval(samples: np.ndarray) -> tuple[float | None, float | None]:
    ok = samples[np.isfinite(samples)]
    if len(ok) < 10:
        return None, None
    lo, hi = np.percentile(ok, [2.5, 97.5])
    return float(lo), float(hi)


def ratio_estimate(num: np.ndarray, den: np.ndarray, *, resamples: int, rng: np.random.Generator,
                   scale: float = 1.0) -> tuple[Estimate, np.ndarray | None]:
    """sum(num)/sum(den) with an article-bootstrap 95 % CI; also returns the replicates (None: no CI)."""
    if den.sum() <= 0:
        return Estimate(None), None
    value = scale * float(num.sum() / den.sum())
    if int((den > 0).sum()) < 2 or resamples < 10:  # one article carries the rate: resampling adds no spread
        return Estimate(value), None
    samples = scale * _boot_ratios(num, den, resamples, rng)
    lo, hi = _interval(samples)
    return Estimate(value, lo, hi), samples


def holm(pvalues: list[float | None]) -> list[float | None]:
    """Holm–Bonferroni adjusted p-values (``None`` entries are left out of the family)."""
    idx = sorted((i for i, p in enumerate(pvalues) if p is not None), key=lambda i: pvalues[i])
    m, out, running = len(idx), list(pvalues), 0.0
    for rank, i in enumerate(idx):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        out[i] = running
    return out


def _ratio_diff(num, den, mask):
    """Per row of boolean ``mask``: ratio over masked articles minus ratio over the rest."""
    da, db = (mask * den).sum(1), (~mask * den).sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (mask * num).sum(1) / da - (~mask * num).sum(1) / db


def _permutation_p(num, den, is_a, observed, permutations, rng) -> float | None:
    """Two-sided p-value of ``observed`` under shuffling the a/b labels."""
    if permutations < 10 or not np.isfinite(observed):
        return None
    hits = total = 0
    for size in _chunks(permutations, len(num)):
        mask = rng.permuted(np.tile(is_a, (size, 1)), axis=1)
        d = _ratio_diff(num, den, mask)
        d = d[np.isfinite(d)]
        hits += int((np.abs(d) >= abs(observed) - 1e-12).sum())
        total += len(d)
    return (hits + 1) / (total + 1)


# ---- comparisons ---------------------------------------------------------------------------

def compare_pair(a: list[ArticleStats], b: list[ArticleStats], metric: str, boot_a: np.ndarray | None,
                 boot_b: np.ndarray | None, *, resamples: int, rng: np.random.Generator) -> Comparison:
    """Difference a - b with a bootstrap CI and a permutation p-value (each group needs 2+ articles)."""
    num_a, den_a, scale = _arrays(a, metric)
    num_b, den_b, _ = _arrays(b, metric)
    name_a, name_b = a[0].group, b[0].group
    if den_a.sum() <= 0 or den_b.sum() <= 0:
        return Comparison(name_a, name_b, metric, Estimate(None))
    diff = scale * float(num_a.sum() / den_a.sum() - num_b.sum() / den_b.sum())
    if boot_a is None or boot_b is None:
        return Comparison(name_a, name_b, metric, Estimate(diff))
    lo, hi = _interval(boot_a - boot_b)
    num, den = np.concatenate([num_a, num_b]), np.concatenate([den_a, den_b])
    is_a = np.arange(len(num)) < len(num_a)
    p = _permutation_p(num, den, is_a, diff / scale, resamples, rng)
    return Comparison(name_a, name_b, metric, Estimate(diff, lo, hi), p)


def _story_diff(cells: list[tuple[np.ndarray, np.ndarray, np.ndarray]], masks: list[np.ndarray]) -> np.ndarray:
    """Mean over stories of (group rate - others' rate), per row of each story's mask."""
    return _mean_over_stories([_ratio_diff(num, den, m) for (num, den, _), m in zip(cells, masks)])


def _mean_over_stories(diffs: list[np.ndarray]) -> np.ndarray:
    """Column means ignoring stories whose rate is undefined in that replicate (NaN when all are)."""
    stacked = np.stack(diffs)
    ok = np.isfinite(stacked)
    count = ok.sum(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, np.where(ok, stacked, 0.0).sum(0) / count, np.nan)


def same_story(arts: list[ArticleStats], group: str, *, resamples: int, rng: np.random.Generator,
               metric: str = PRIMARY) -> StoryComparison | None:
    """``group`` against all other groups on the stories both covered (None when there is none)."""
    by_story: dict[str, list[ArticleStats]] = defaultdict(list)
    for a in arts:
        if a.story:
            by_story[a.story].append(a)
    cells = []
    for story in sorted(by_story):
        items = by_story[story]
        is_g = np.array([a.group == group for a in items])
        num, den, _ = _arrays(items, metric)
        if 0 < is_g.sum() < len(items) and den[is_g].sum() > 0 and den[~is_g].sum() > 0:
            cells.append((num, den, is_g))
    if not cells:
        return None
    scale = METRICS[metric][2]
    observed = float(_story_diff(cells, [c[2][None, :] for c in cells])[0])
    n_g = int(sum(c[2].sum() for c in cells))
    n_o = int(sum((~c[2]).sum() for c in cells))
    result = StoryComparison(group, len(cells), n_g, n_o, Estimate(scale * observed))
    if resamples < 10:
        return result
    # CI: two-stage bootstrap — stories drawn with replacement, then articles within each (story, side) cell.
    # With a single article per cell the inner stage adds no spread, so the interval is only given when the
    # story stage can carry it (MIN_STORIES_FOR_CI stories) or every cell has 2+ articles on both sides.
    if len(cells) >= MIN_STORIES_FOR_CI or all(c[2].sum() >= 2 and (~c[2]).sum() >= 2 for c in cells):
        # A story drawn twice in a replicate gets two independent article resamples (one shared draw
        # per story and replicate made the interval 15-25% too wide on a test corpus).
        boots = []
        for size in _chunks(resamples, sum(len(c[0]) for c in cells)):
            picked = rng.integers(0, len(cells), size=(len(cells), size))
            values = np.empty(picked.shape)
            for k, (num, den, is_g) in enumerate(cells):
                where = picked == k
                n = int(where.sum())
                if n:
                    idx = np.concatenate([_draw(np.flatnonzero(is_g), n, rng), _draw(np.flatnonzero(~is_g), n, rng)], 1)
                    values[where] = _ratio_diff(num[idx], den[idx], is_g[idx])
            boots.append(_mean_over_stories(list(values)))
        lo, hi = _interval(scale * np.concatenate(boots))
        result.diff = Estimate(scale * observed, lo, hi)
    # p-value: permute group labels within each story.
    hits = total = 0
    for size in _chunks(resamples, sum(len(c[0]) for c in cells)):
        masks = [rng.permuted(np.tile(c[2], (size, 1)), axis=1) for c in cells]
        d = _story_diff(cells, masks)
        d = d[np.isfinite(d)]
        hits += int((np.abs(d) >= abs(observed) - 1e-12).sum())
        total += len(d)
    result.p = (hits + 1) / (total + 1)
    return result


def _draw(pool: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    return pool[rng.integers(0, len(pool), size=(size, len(pool)))]


def topic_cells(arts: list[ArticleStats], max_topics: int = MAX_TOPICS) -> list[TopicCell]:
    """Author-voice framed rate per (group, topic), plus per topic over all groups (group "")."""
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    per_topic: dict[str, int] = defaultdict(int)
    for a in arts:
        if not a.story:
            continue
        per_topic[a.story] += 1
        for key in ((a.group, a.story), ("", a.story)):
            s = sums[key]
            s[0] += 1
            s[1] += a.author_framed
            s[2] += a.author
    keep = set(sorted(per_topic, key=lambda t: (-per_topic[t], t))[:max_topics])
    return [TopicCell(g, t, n, (f / d if d else None)) for (g, t), (n, f, d) in sorted(sums.items()) if t in keep]


def pair_order(c: Comparison) -> tuple:
    """The one order of the pairwise rows in every format: Holm p ascending (untested pairs, with no
    p-value, last), then raw p, then the larger absolute difference, then the two names, so ties
    never fall back on the order the pairs were built in."""
    diff = c.diff.value
    return (c.p_holm is None, c.p_holm if c.p_holm is not None else 0.0, c.p if c.p is not None else 0.0,
            diff is None, -abs(diff) if diff is not None else 0.0, c.a, c.b)


# ---- the whole report ---------------------------------------------------------------------

def build_report(collector: Collector, *, resamples: int = 1000, seed: int = 0, stories: bool = False,
                 phrases: int = 10, meta: dict | None = None, stance_min_mentions: int | None = None,
                 stance_targets: int | None = None) -> CorpusReport:
    """Every figure of the report from the collected articles.

    Groups are sorted by author-voice rate, highest first, ties by name, a group with no author-voice
    sentence last; pairs by :func:`pair_order`; same-story rows follow the groups.

    ``stance_min_mentions`` / ``stance_targets``: see :func:`inference.report_stance.stance_table` (None: its defaults).
    """
    from inference.report_stance import MIN_MENTIONS, TOP_TARGETS, stance_table

    rng = np.random.default_rng(seed)
    by_group: dict[str, list[ArticleStats]] = defaultdict(list)
    for a in collector.articles:
        by_group[a.group].append(a)
    groups, boots = [], {}
    for name in sorted(by_group):
        arts = by_group[name]
        estimates = {}
        for metric in METRICS:
            num, den, scale = _arrays(arts, metric)
            estimates[metric], samples = ratio_estimate(num, den, resamples=resamples, rng=rng, scale=scale)
            if metric == PRIMARY:
                boots[name] = samples
        groups.append(GroupStats(
            name=name, articles=len(arts), sentences=sum(a.sentences for a in arts), words=sum(a.words for a in arts),
            author_sentences=sum(a.author for a in arts), quote_sentences=sum(a.quote for a in arts),
            estimates=estimates, article_rates=[round(r, 4) for a in arts if (r := a.author_rate) is not None],
            top_phrases=collector.top_phrases(name, phrases), examples=collector.top_examples(name)))
    groups.sort(key=lambda g: (-(g.estimates[PRIMARY].value if g.estimates[PRIMARY].value is not None else -1), g.name))

    names = [g.name for g in groups]
    pairwise = [compare_pair(by_group[a], by_group[b], PRIMARY, boots[a], boots[b], resamples=resamples, rng=rng)
                for i, a in enumerate(names) for b in names[i + 1:]]
    for c, adj in zip(pairwise, holm([c.p for c in pairwise])):
        c.p_holm = adj
    pairwise.sort(key=pair_order)   # after their draws: sorting changes no number

    story_rows: list[StoryComparison] = []
    topics: list[TopicCell] = []
    stories_total = 0
    if stories:
        story_rows = [r for g in names if (r := same_story(collector.articles, g, resamples=resamples, rng=rng))]
        for r, adj in zip(story_rows, holm([r.p for r in story_rows])):
            r.p_holm = adj
        topics = topic_cells(collector.articles)
        stories_total = len({a.story for a in collector.articles if a.story})
    info = {"bootstrap": resamples, "seed": seed, "metric": PRIMARY, "metrics": {k: v[3] for k, v in METRICS.items()},
            "articles": len(collector.articles), "groups": len(groups), "spans_available": collector.spans_available,
            "threshold": collector.threshold, "stories_total": stories_total, **(meta or {})}
    stance = stance_table(collector, resamples=resamples, seed=seed, by=str(info.get("by") or "outlet"),
                          min_mentions=MIN_MENTIONS if stance_min_mentions is None else stance_min_mentions,
                          top=TOP_TARGETS if stance_targets is None else stance_targets)
    info["targets_available"] = collector.targets_available
    return CorpusReport(groups, pairwise, story_rows, topics, info, stance)
