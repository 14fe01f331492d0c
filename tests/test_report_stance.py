"""The report's group × target stance table on hand-made records: sums, exclusions, bootstrap, cache, rendering."""
import csv
import io
import json
import sqlite3
import zlib

import pytest

from inference import cli
from inference.records import ArticleScore, SentenceScore, Target
from inference.report_cache import ScoreCache
from inference.report_collect import MAX_TARGETS, Collector, author_target_sums
from inference.report_corpus import Article
from inference.report_html import render_html
from inference.report_stance import NO_STANCE_HEAD, stance_table
from inference.report_stats import build_report
from inference.report_text import render_csv, render_json, render_markdown


def stance_of(polarity: float) -> str:
    return "negative" if polarity < -0.2 else ("positive" if polarity > 0.2 else "neutral")


def scored(ident: str, group: str, mentions: list[tuple], *,
           targets_available: bool = True) -> tuple[Article, ArticleScore]:
    """An article with one sentence per mention; a mention is ``(entity, polarity)`` or ``(entity, polarity, voice)``.

    Quoted mentions get a quoted sentence; every offset is real, so the cache can slice texts back out.
    """
    text, sents = "", []
    for i, (entity, polarity, *rest) in enumerate(mentions):
        voice = rest[0] if rest else "author"
        sentence = f'"{entity} is to blame," a critic said.' if voice == "quote" else f"{entity} spoke on Monday."
        start = len(text)
        text += sentence + " "
        m = start + sentence.index(entity)
        target = Target(start=m, end=m + len(entity), text=entity, entity=entity, type="PERSON",
                        stance=stance_of(polarity), score=0.5 + abs(polarity) / 2, polarity=polarity, voice=voice)
        sents.append(SentenceScore(doc=ident, index=i, paragraph=0, start=start, end=start + len(sentence),
                                   text=sentence, score=0.3, label="neutral", voice=voice, targets=[target]))
    article = Article(id=ident, text=text.strip() or "Nothing happened.", group=group, title=ident)
    return article, ArticleScore(doc=ident, sentences=sents, threshold=0.5, targets_available=targets_available)


def collect(*articles) -> Collector:
    c = Collector()
    for art, scores in articles:
        c.add(art, scores)
    return c


KIM, MOON = "Kim Jong Un", "Moon Jae-in"


def two_outlets() -> Collector:
    """Outlet A: Kim -1.0 over 4 mentions in 2 articles (-0.25); outlet B: 1.6 over 4 in 2 (+0.40). Moon in both."""
    return collect(
        scored("a1", "A", [(KIM, -0.5), (KIM, -0.3), (MOON, 0.1), (KIM, 0.9, "quote")]),
        scored("a2", "A", [(KIM, -0.4), (KIM, 0.2), (MOON, 0.3), (MOON, -0.1)]),
        scored("b1", "B", [("kim jong  un", 0.5), ("KIM JONG UN", 0.5), (KIM, 0.2), (MOON, 0.6)]),
        scored("b2", "B", [(KIM, 0.4), (MOON, 0.0), (MOON, 0.3), ("Local Mayor", -0.9)]),
    )


def test_cells_are_pooled_author_voice_means_with_counts():
    table = stance_table(two_outlets(), resamples=200, seed=0)
    assert table.available and table.note is None
    assert [t.entity for t in table.targets] == [KIM, MOON]     # both in 2 groups; Kim has more mentions
    kim_a, kim_b = table.cell("A", KIM), table.cell("B", KIM)
    assert kim_a.polarity.value == pytest.approx(-1.0 / 4) and kim_a.mentions == 4 and kim_a.articles == 2
    assert (kim_a.negative, kim_a.neutral, kim_a.positive) == (3, 1, 0)     # +0.2 is neutral; the quote is not counted
    assert kim_b.polarity.value == pytest.approx(1.6 / 4) and kim_b.mentions == 4 and kim_b.articles == 2
    assert (kim_b.negative, kim_b.neutral, kim_b.positive) == (0, 1, 3)
    assert table.cell("A", MOON).polarity.value == pytest.approx(0.3 / 3)
    assert table.cell("B", MOON).polarity.value == pytest.approx(0.9 / 3)
    assert table.targets[0].groups == 2 and table.targets[0].mentions == 8 and table.targets[0].articles == 4


def test_quoted_mentions_do_not_count_against_the_outlet():
    sums = author_target_sums(scored("q", "A", [(KIM, -0.5), (KIM, 0.9, "quote"), (MOON, 1.0, "quote")])[1].sentences)
    assert sums == {"kim jong un": (1, -0.5, 1, 0, 0)}
    # Moon is quoted often in both outlets but named by the authors too rarely: not in the table.
    c = collect(*[scored(f"{g}{i}", g, [(MOON, 0.9, "quote")] * 3 + [(KIM, -0.5)] * 3) for g in "AB" for i in range(2)])
    table = stance_table(c, resamples=50, seed=0)
    assert [t.entity for t in table.targets] == [KIM]
    assert table.cell("A", KIM).polarity.value == pytest.approx(-0.5)


def test_targets_in_one_outlet_or_below_the_minimum_are_left_out():
    table = stance_table(two_outlets(), resamples=0, seed=0)
    assert "Local Mayor" not in {t.entity for t in table.targets}      # one outlet only
    table = stance_table(two_outlets(), resamples=0, seed=0, min_mentions=4)
    assert [t.entity for t in table.targets] == [KIM]                   # Moon has 3 mentions per outlet
    table = stance_table(two_outlets(), resamples=0, seed=0, min_mentions=5)
    assert table.targets == [] and table.note.startswith("no target covered by 2+ outlets")
    assert stance_table(two_outlets(), resamples=0, seed=0, top=1).targets[0].entity == KIM
    only_a = collect(scored("a", "A", [(KIM, -0.5)] * 5), scored("b", "B", [(MOON, 0.5)] * 5))
    assert stance_table(only_a, resamples=0, by="leaning").note.startswith("no target covered by 2+ groups")


def test_articles_are_capped_to_their_most_mentioned_entities():
    mentions = [("Often Named", 0.1)] * 3 + [(f"Person {i:03d}", 0.0) for i in range(MAX_TARGETS + 20)]
    sums = author_target_sums(scored("x", "A", mentions)[1].sentences)
    assert len(sums) == MAX_TARGETS and sums["often named"][0] == 3


def test_bootstrap_interval_contains_the_mean_and_is_seeded():
    arts = [scored(f"{g}{i}", g, [(KIM, base + 0.05 * (i % 4)), (KIM, base - 0.05 * (i % 3)), (KIM, base)])
            for g, base in (("A", -0.4), ("B", 0.3)) for i in range(12)]
    c = collect(*arts)
    first, again = stance_table(c, resamples=400, seed=3), stance_table(c, resamples=400, seed=3)
    assert first == again
    for group in "AB":
        e = first.cell(group, KIM).polarity
        assert e.has_ci and e.low <= e.value <= e.high and e.high - e.low < 0.2
    assert first.cell("A", KIM).polarity.high < 0 < first.cell("B", KIM).polarity.low
    assert stance_table(c, resamples=400, seed=4).cell("A", KIM).polarity != first.cell("A", KIM).polarity
    single = collect(scored("a", "A", [(KIM, -0.5)] * 3), *arts[12:])
    assert not stance_table(single, resamples=400).cell("A", KIM).polarity.has_ci   # one article: no interval


def test_no_stance_head_says_so_in_every_format():
    c = collect(scored("a", "A", [], targets_available=False), scored("b", "B", [], targets_available=False))
    report = build_report(c, resamples=0)
    assert not report.stance.available and report.stance.note == NO_STANCE_HEAD
    assert NO_STANCE_HEAD in render_markdown(report, by="outlet")
    assert NO_STANCE_HEAD in render_html(report, by="outlet")
    data = json.loads(render_json(report))
    assert data["stance"]["available"] is False and data["stance"]["cells"] == []
    assert data["meta"]["targets_available"] is False


def test_cache_round_trip_keeps_targets_and_rescores_old_rows(tmp_path):
    art, scores = scored("a1", "A", [(KIM, -0.5), (MOON, 0.4, "quote")])
    cache = ScoreCache(tmp_path / "c.sqlite", "model-x")
    cache.put(art.text, scores)
    back = cache.get(art.text, "a1", threshold=0.5)
    assert back.targets_available
    assert [t for s in back.sentences for t in s.targets] == [t for s in scores.sentences for t in s.targets]
    assert back.sentences[1].targets[0].text == MOON and back.sentences[1].targets[0].voice == "quote"
    # A row in the first format (no targets, no version) is not served: the article is scored again.
    old = zlib.compress(json.dumps({"spans": True, "s": [[0, 0, 0, 10, 0.3, "author", []]]}).encode())
    cache.db.execute("UPDATE scores SET record=?", (old,))
    cache.db.commit()
    assert cache.get(art.text, "a1", threshold=0.5) is None
    cache.close()
    assert sqlite3.connect(tmp_path / "c.sqlite").execute("SELECT COUNT(*) FROM scores").fetchone()[0] == 1


def test_rendering_shows_the_table_in_html_markdown_json_and_csv():
    c = two_outlets()
    c.add(*scored("evil", "<b>C</b>", [("<script>X</script>", -1.0)] * 3 + [(KIM, 0.0)] * 3))
    c.add(*scored("evil2", "A", [("<script>X</script>", 0.5)] * 3))
    report = build_report(c, resamples=100, seed=0)
    page = render_html(report, by="outlet")
    assert 'id="stance-table"' in page and "Kim Jong Un" in page and "<script>X" not in page
    assert "&lt;script&gt;X&lt;/script&gt;" in page and "&lt;b&gt;C&lt;/b&gt;" in page
    assert "-0.25" in page and "+0.40" in page and "95% CI" in page and "4 mentions · 2 articles" in page
    assert "rgba(192,57,43" in page and "rgba(39,174,96" in page          # red negative, green positive
    md = render_markdown(report, by="outlet")
    assert "## Stance toward people" in md and "| outlet | Kim Jong Un | " in md and "-0.25 [" in md and "(4/2)" in md
    data = json.loads(render_json(report))["stance"]
    assert data["available"] and data["min_mentions"] == 3 and data["targets"][0]["entity"] == KIM
    cell = next(x for x in data["cells"] if x["group"] == "B" and x["entity"] == KIM)
    assert cell["polarity"]["value"] == pytest.approx(0.4) and cell["mentions"] == 4 and cell["articles"] == 2
    rows = [r for r in csv.DictReader(io.StringIO(render_csv(report))) if r["section"] == "stance"]
    assert {(r["group"], r["other"], r["metric"]) for r in rows} >= {("A", KIM, "polarity"), ("B", KIM, "mentions")}


def test_stance_options_are_checked_before_the_model_loads(tmp_path, capsys):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text('{"text": "A.", "outlet": "x"}\n')
    assert cli.main(["report", str(corpus), "-o", str(tmp_path / "r.html"), "--stance-min-mentions", "0"]) == 2
    assert "--stance-min-mentions 0: must be 1 or more" in capsys.readouterr().err


def test_a_surname_alone_joins_the_one_full_name_of_the_corpus():
    from inference.report_stance import corpus_aliases

    table = stance_table(collect(
        scored("a1", "A", [("Donald Trump", -0.5), ("Donald Trump", -0.3), ("Donald Trump", -0.1)]),
        scored("b1", "B", [("Trump", 0.5), ("Trump", 0.3), ("Trump", 0.1)]),     # this outlet never writes the full name
    ), resamples=50, seed=0)
    assert [t.entity for t in table.targets] == ["Donald Trump"]
    assert table.cell("B", "Donald Trump").polarity.value == pytest.approx(0.3)
    assert corpus_aliases({"johnson", "dan johnson", "rebecca johnson", "kim", "kim jong un"}) == {"kim": "kim jong un"}
    # "kim" is an analyst's last word and a leader's first: it joins neither (the last word won before)
    assert corpus_aliases({"kim", "james kim", "kim jong un"}) == {}
    from inference.report_collect import entity_key

    assert entity_key("Kim Jong-Un") == entity_key("kim  jong un")  # a hyphen counts as a space across articles too


def test_only_people_join_by_surname():
    from collections import Counter

    from inference.report_stance import corpus_aliases

    types = {"cambridge": Counter(ORG=3), "university of cambridge": Counter(ORG=2),
             "trump": Counter(PERSON=4), "donald trump": Counter(PERSON=9)}
    assert corpus_aliases(set(types), types) == {"trump": "donald trump"}


def test_a_surname_the_ner_half_calls_an_org_still_joins():
    from collections import Counter

    from inference.report_stance import corpus_aliases

    types = {"trump": Counter(ORG=30, PERSON=29), "donald trump": Counter(PERSON=56), "nfl": Counter(ORG=5),
             "nfl players association": Counter(ORG=3)}
    assert corpus_aliases(set(types), types) == {"trump": "donald trump"}
