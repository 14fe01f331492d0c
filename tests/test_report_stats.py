"""Report statistics on hand-made article counts: intervals, Holm, permutation tests, same-story."""
import numpy as np
import pytest

from inference.report_collect import ArticleStats, Collector
from inference.report_stats import PRIMARY, build_report, holm, ratio_estimate, same_story, topic_cells


def art(group: str, framed: int, author: int = 10, story: str | None = None, i: list = [0]) -> ArticleStats:
    i[0] += 1
    return ArticleStats(id=f"a{i[0]}", group=group, story=story, sentences=author + 2, words=20 * (author + 2),
                        author=author, author_framed=framed, quote=2, quote_framed=1, framed=framed + 1,
                        score_sum=0.1 * (author + 2) + 0.5 * framed)


def collector(arts: list[ArticleStats]) -> Collector:
    c = Collector()
    c.articles.extend(arts)
    return c


def test_holm_matches_hand_computation_and_skips_missing():
    assert holm([0.01, 0.04, 0.03, None]) == pytest.approx([0.03, 0.06, 0.06, None])
    assert holm([0.5, 0.9]) == [1.0, 1.0]
    assert holm([]) == []


def test_single_article_has_a_value_but_no_interval_and_empty_denominator_has_none():
    rng = np.random.default_rng(0)
    est, samples = ratio_estimate(np.array([3.0]), np.array([10.0]), resamples=200, rng=rng)
    assert est.value == pytest.approx(0.3) and not est.has_ci and samples is None
    est, _ = ratio_estimate(np.array([0.0, 0.0]), np.array([0.0, 0.0]), resamples=200, rng=rng)
    assert est.value is None


def test_interval_resamples_articles_so_clustered_framing_gives_a_wide_interval():
    # one article wholly framed, nine not: 100 of 190 sentences framed, but it is one article's doing
    num = np.array([100.0] + [0.0] * 9)
    den = np.array([100.0] + [10.0] * 9)
    est, _ = ratio_estimate(num, den, resamples=500, rng=np.random.default_rng(0))
    assert est.low < 0.2 and est.high > 0.75          # a sentence-level bootstrap would give about ±0.07
    assert est.low <= est.value <= est.high


def test_report_is_deterministic_sorted_and_marks_single_article_groups():
    arts = [art("hot", 8) for _ in range(12)] + [art("cold", 1) for _ in range(12)] + [art("lonely", 5)]
    a = build_report(collector(arts), resamples=300, seed=1)
    b = build_report(collector(arts), resamples=300, seed=1)
    assert a.to_dict() == b.to_dict()
    assert [g.name for g in a.groups] == ["hot", "lonely", "cold"]
    lonely = next(g for g in a.groups if g.name == "lonely")
    assert lonely.estimates[PRIMARY].value == pytest.approx(0.5) and not lonely.estimates[PRIMARY].has_ci
    hot = a.groups[0]
    assert hot.estimates["per_1000_words"].value == pytest.approx(1000 * 9 / 240)
    assert hot.estimates["quote_rate"].value == pytest.approx(0.5)
    assert len(hot.article_rates) == 12
    pairs = {(c.a, c.b): c for c in a.pairwise}
    assert len(pairs) == 3
    hc = pairs[("hot", "cold")]
    assert hc.diff.value == pytest.approx(0.7) and hc.diff.low > 0.5 and hc.p_holm < 0.01
    assert hc.p_holm >= hc.p
    with_lonely = pairs[("hot", "lonely")]
    assert with_lonely.diff.value == pytest.approx(0.3) and not with_lonely.diff.has_ci and with_lonely.p is None


def test_equal_groups_are_not_called_different():
    rng = np.random.default_rng(5)
    arts = [art(g, int(rng.integers(2, 5))) for g in ("a", "b", "c") for _ in range(15)]
    report = build_report(collector(arts), resamples=400, seed=0)
    assert all(c.p_holm > 0.05 for c in report.pairwise)
    assert all(c.diff.low < 0 < c.diff.high or abs(c.diff.value) < 0.1 for c in report.pairwise)


def test_same_story_comparison_removes_the_effect_of_story_choice():
    # Both outlets frame each story alike; "tabloid" simply covers the inflammatory story more.
    arts = ([art("tabloid", 8, story="scandal") for _ in range(6)] + [art("tabloid", 1, story="budget") for _ in range(2)]
            + [art("paper", 8, story="scandal") for _ in range(2)] + [art("paper", 1, story="budget") for _ in range(6)])
    report = build_report(collector(arts), resamples=400, seed=0, stories=True)
    overall = {(c.a, c.b): c for c in report.pairwise}[("tabloid", "paper")]
    assert overall.diff.value == pytest.approx(0.35)
    rows = {r.group: r for r in report.same_story}
    assert rows["tabloid"].stories == 2 and rows["tabloid"].articles == 8 and rows["tabloid"].others == 8
    assert rows["tabloid"].diff.value == pytest.approx(0.0) and rows["tabloid"].p > 0.5
    assert rows["tabloid"].diff.has_ci and rows["tabloid"].p_holm is not None
    cells = {(c.group, c.topic): c for c in report.topics}
    assert cells[("tabloid", "scandal")].rate == pytest.approx(0.8) and cells[("", "budget")].articles == 8


def test_same_story_with_no_shared_story_or_single_articles():
    arts = [art("x", 5, story="s1"), art("y", 1, story="s2")]
    assert same_story(arts, "x", resamples=100, rng=np.random.default_rng(0)) is None
    arts = [art("x", 9, story="s1"), art("y", 1, story="s1"), art("y", 2, story="s1")]
    row = same_story(arts, "x", resamples=200, rng=np.random.default_rng(0))
    assert row.diff.value == pytest.approx(0.75) and not row.diff.has_ci and row.p is not None
    assert topic_cells([art("x", 1)]) == []
    # one article per story, but enough stories: the story stage of the bootstrap gives an interval
    arts = [a for k in range(6) for a in (art("x", 6 + k % 3, story=f"s{k}"), art("y", 2, story=f"s{k}"),
                                          art("y", 3, story=f"s{k}"))]
    row = same_story(arts, "x", resamples=300, rng=np.random.default_rng(0))
    assert row.stories == 6 and row.diff.has_ci and 0 < row.diff.low < row.diff.value < row.diff.high


def test_a_rate_carried_by_one_article_has_no_interval():
    # two articles, but only one has sentences in this voice: resampling articles adds no spread,
    # and a zero-width [40%, 40%] read as certainty (it was given, and its pairwise intervals too)
    est, samples = ratio_estimate(np.array([4.0, 0.0]), np.array([10.0, 0.0]), resamples=200,
                                  rng=np.random.default_rng(0))
    assert est.value == pytest.approx(0.4) and not est.has_ci and samples is None


def test_same_story_interval_is_the_two_stage_bootstrap():
    """Stories drawn with replacement, then articles within each drawn copy afresh: a story drawn
    twice in a replicate shared one article resample, which widened the interval by 15-25%."""
    rng = np.random.default_rng(3)
    arts = []
    for s in range(3):
        arts += [art("g", int(f), story=f"s{s}") for f in rng.integers(2, 9, 4)]
        arts += [art("o", int(f), story=f"s{s}") for f in rng.integers(0, 6, 4)]
    got = same_story(arts, "g", resamples=20000, rng=np.random.default_rng(0))
    # reference: the textbook two-stage resample, one replicate at a time
    stories = [([a for a in arts if a.story == f"s{s}" and a.group == "g"],
                [a for a in arts if a.story == f"s{s}" and a.group == "o"]) for s in range(3)]
    ref_rng, reps = np.random.default_rng(1), []
    rate = lambda xs: sum(a.author_framed for a in xs) / sum(a.author for a in xs)  # noqa: E731
    for _ in range(20000):
        diffs = []
        for k in ref_rng.integers(0, 3, 3):
            g, o = stories[k]
            diffs.append(rate([g[i] for i in ref_rng.integers(0, len(g), len(g))])
                         - rate([o[i] for i in ref_rng.integers(0, len(o), len(o))]))
        reps.append(np.mean(diffs))
    lo, hi = np.percentile(reps, [2.5, 97.5])
    assert got.diff.low == pytest.approx(lo, abs=0.01) and got.diff.high == pytest.approx(hi, abs=0.01)
