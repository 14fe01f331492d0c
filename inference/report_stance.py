"""Stance toward named people, organisations and countries, per group: the report's group × target table.

Why it is built this way:

* Only author-voice mentions count (:func:`inference.report_collect.author_target_sums`):
  what a quoted source says about someone is not the outlet's stance, the
  same rule as for quoted framing.
* A cell is the mean polarity (P(positive) − P(negative)) of a group's
  author-voice mentions of one entity, pooled over its articles (a ratio of
  sums, like every rate in the report). Its 95 % interval is the article
  bootstrap of :func:`inference.report_stats.ratio_estimate`: mentions in one
  article share an author and a story, so resampling mentions would give
  intervals far too narrow. Only the group's articles that mention the entity
  are drawn; the others add nothing to either sum.
* A target is shown only where at least ``min_groups`` groups (default 2) each
  have ``min_mentions`` author mentions of it (default 3): the table exists to
  compare outlets on the same target, and a mean over one or two mentions says
  little. The ``top`` targets (default 10) are those covered by the most
  groups, then the most mentioned.
* Entities are matched across articles by their article-level grouped name,
  case-insensitively (:func:`inference.report_collect.entity_key`), and a
  one-word name joins the one multi-word name of the corpus it ends (or
  starts) with (:func:`corpus_aliases`); the most common written form is shown.
* The bootstrap has its own generator, seeded from the report's seed: the
  same corpus and seed give the same table, and this section does not shift
  the random draws of the other figures.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from inference.report_collect import Collector
from inference.report_stats import Estimate, ratio_estimate

__all__ = ["StanceCell", "StanceTarget", "StanceTable", "stance_table", "fmt_polarity", "NO_STANCE_HEAD",
           "MIN_MENTIONS", "MIN_GROUPS", "TOP_TARGETS"]

#: Author-voice mentions a group needs for a cell of the table.
MIN_MENTIONS = 3
#: Groups that must cover a target for it to be shown.
MIN_GROUPS = 2
#: Targets shown.
TOP_TARGETS = 10
NO_STANCE_HEAD = "stance unavailable: the model has no stance head"
_STREAM = 0x5A  # second seed word: the stance bootstrap draws apart from the other figures'


@dataclass
class StanceCell:
    """One group's author-voice stance toward one target."""

    group: str
    entity: str
    mentions: int           # author-voice mentions
    articles: int           # articles with at least one
    negative: int           # mentions by predicted stance
    neutral: int
    positive: int
    polarity: Estimate      # mean polarity, article-bootstrap 95 % CI (none for a single article)


@dataclass
class StanceTarget:
    """A target in the table, with what it was ranked by."""

    entity: str
    groups: int             # groups with min_mentions+ author mentions of it
    mentions: int           # author mentions over those groups
    articles: int


@dataclass
class StanceTable:
    """The section as a whole; ``note`` says why it is empty when it is."""

    available: bool
    note: str | None
    min_mentions: int
    min_groups: int
    top: int
    targets: list[StanceTarget] = field(default_factory=list)
    cells: list[StanceCell] = field(default_factory=list)

    def cell(self, group: str, entity: str) -> StanceCell | None:
        return next((c for c in self.cells if c.group == group and c.entity == entity), None)


def fmt_polarity(value: float | None) -> str:
    """Polarity as printed in every format: signed, two decimals ("n/a" when missing)."""
    return "n/a" if value is None else f"{value:+.2f}"


def _no_target_note(by: str, min_groups: int, min_mentions: int, groups: int = 2, named: bool = True) -> str:
    """Why the table is empty, the first reason that holds: too few groups to compare, no target
    named in the author's voice at all, or none named often enough by enough groups. Why: a report
    of one outlet, or of articles without names, said "no target covered by 2+ outlets", which sent
    the reader looking for a shortage of mentions that was not the cause."""
    who = "outlets" if by == "outlet" else "groups"
    if groups < min_groups:
        return f"{'one ' + by if groups == 1 else f'{groups} {who}'} only: the table compares {min_groups}+ {who}"
    if not named:
        return "no person, organisation or country named in the author's voice"
    return f"no target covered by {min_groups}+ {who} (with {min_mentions}+ author-voice mentions in each)"


def stance_table(collector: Collector, *, resamples: int = 1000, seed: int = 0, min_mentions: int = MIN_MENTIONS,
                 top: int = TOP_TARGETS, min_groups: int = MIN_GROUPS, by: str = "outlet") -> StanceTable:
    """The group × target stance table from the collected articles (see the module docstring)."""
    table = StanceTable(available=collector.targets_available, note=None, min_mentions=min_mentions,
                        min_groups=min_groups, top=top)
    if not collector.targets_available:
        table.note = NO_STANCE_HEAD
        return table
    # Pass 1: mentions per (entity, group), to choose the targets; only their per-article sums are gathered next.
    alias = corpus_aliases({key for a in collector.articles for key in a.targets}, collector.entity_types)
    mentions: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for a in collector.articles:
        for key, sums in a.targets.items():
            mentions[alias.get(key, key)][a.group] += sums[0]
    covered = {key: {g: n for g, n in per.items() if n >= min_mentions} for key, per in mentions.items()}
    covered = {key: per for key, per in covered.items() if len(per) >= min_groups}
    names = {key: _display(collector, key) for key in covered}
    chosen = sorted(covered, key=lambda k: (-len(covered[k]), -sum(covered[k].values()), names[k].casefold(), k))[:top]
    if not chosen:
        table.note = _no_target_note(by, min_groups, min_mentions, len(collector.groups()), bool(mentions))
        return table

    # Pass 2: per-article sums of the chosen (entity, group) cells; a cell is bootstrapped over its articles.
    rows: dict[tuple[str, str], list] = defaultdict(list)
    wanted = set(chosen)
    for a in collector.articles:
        merged: dict[str, np.ndarray] = {}
        for key, sums in a.targets.items():
            canon = alias.get(key, key)
            if canon in wanted and a.group in covered[canon]:
                merged[canon] = merged.get(canon, 0) + np.asarray(sums, dtype=np.float64)
        for canon, sums in merged.items():
            rows[(canon, a.group)].append(sums)
    rng = np.random.default_rng([seed, _STREAM])
    for key in chosen:
        articles = 0
        for group in sorted(covered[key]):
            arr = np.asarray(rows[(key, group)], dtype=np.float64)
            estimate, _ = ratio_estimate(arr[:, 1], arr[:, 0], resamples=resamples, rng=rng)
            n_mentions, _, neg, neu, pos = (int(x) for x in arr.sum(0).round())
            table.cells.append(StanceCell(group, names[key], n_mentions, len(arr), neg, neu, pos, estimate))
            articles += len(arr)
        table.targets.append(StanceTarget(names[key], len(covered[key]), sum(covered[key].values()), articles))
    return table


def corpus_aliases(keys: set[str], types: dict | None = None) -> dict[str, str]:
    """People's one-word keys that name exactly one multi-word person of the corpus by its last
    or first word: an article that only says "Trump" joins "Donald Trump" of the others.
    Ambiguous words ("johnson" with "dan johnson" and "rebecca johnson"; "kim" with "james kim"
    and "kim jong un", which the last word alone took for the analyst) stay apart, and only
    people join (a lone "Cambridge" is not "University of Cambridge"); without ``types`` every
    key counts as a person."""
    def person(k: str) -> bool:
        """Mostly tagged PERSON; a third is enough, as the small NER model often calls a lone
        surname ("Trump") an ORG."""
        kinds = (types or {}).get(k)
        return not kinds or kinds["PERSON"] >= sum(kinds.values()) / 3

    multi = [k for k in keys if len(k.split()) > 1 and person(k)]
    alias = {}
    for key in keys:
        if len(key.split()) != 1 or not person(key):
            continue
        candidates = [m for m in multi if key in (m.split()[0], m.split()[-1])]
        if len(candidates) == 1:
            alias[key] = candidates[0]
    return alias


def _display(collector: Collector, key: str) -> str:
    """The most common written form of an entity (the key itself when no form was recorded)."""
    forms = collector.entity_names.get(key)
    return forms.most_common(1)[0][0] if forms else key
