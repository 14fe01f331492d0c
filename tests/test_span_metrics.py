"""Span metrics on hand-made cases, and the lexicon baseline."""
import pytest

from models.errors import SlantError
from training.span_metrics import (LexiconBaseline, format_span_report, span_breakdown, span_prf, span_report,
                                     token_prf)

LL, NC = "loaded_language", "name_calling"

TEXTS = ["the radical mob stormed the hall", "a disastrous plan"]
#         0123456789012345678901234567890      01234567890123456
GOLD = [[{"start": 4, "end": 15, "technique": LL}, (12, 15, NC)], [(2, 12, LL)]]  # "radical mob", "mob"; "disastrous"
PRED = [[(4, 11, LL), (12, 15, NC)], [(2, 17, NC)]]  # "radical", "mob"; "disastrous plan"


def test_exact_span_prf():
    m = span_prf(GOLD, PRED, mode="exact")
    assert (m["n_gold"], m["n_pred"], m["tp_pred"]) == (3, 3, 1)
    assert m["precision"] == pytest.approx(1 / 3) and m["recall"] == pytest.approx(1 / 3)


def test_overlap_span_prf_requires_same_technique():
    m = span_prf(GOLD, PRED, mode="overlap")
    # "radical" overlaps "radical mob" (LL) and "mob" matches exactly; doc 2 has the wrong technique
    assert (m["tp_pred"], m["tp_gold"]) == (2, 2)
    assert m["f1"] == pytest.approx(2 / 3)
    si = span_prf(GOLD, PRED, mode="overlap", ignore_technique=True)
    assert si["f1"] == 1.0


def test_overlap_counts_pred_and_gold_separately():
    gold = [[(0, 3, LL), (5, 8, LL)]]
    pred = [[(0, 8, LL)]]
    m = span_prf(gold, pred, mode="overlap")
    assert (m["precision"], m["recall"], m["f1"]) == (1.0, 1.0, 1.0)
    assert span_prf(gold, pred, mode="exact")["f1"] == 0.0
    # touching is not overlapping: [0,3) vs [3,5)
    assert span_prf([[(0, 3, LL)]], [[(3, 5, LL)]], mode="overlap")["f1"] == 0.0


def test_span_breakdown_says_where_errors_fall():
    b = span_breakdown(GOLD, PRED, LL)
    # predicted LL: "radical" hits "radical mob"; gold LL: "radical mob" found, "disastrous" predicted as name-calling
    assert b["pred"] == {"hit": 1} and b["gold"] == {"found": 1, NC: 1}
    extra = [[(16, 23, LL)], []]  # "stormed": no annotated span there
    b = span_breakdown([[(4, 15, LL)], [(2, 12, LL)]], extra, LL)
    assert b["pred"] == {"none": 1} and b["gold"] == {"missed": 2}
    assert b["pred"]["none"] + b["pred"]["hit"] == span_prf([[(4, 15, LL)], [(2, 12, LL)]], extra, LL, "overlap")["n_pred"]
    with pytest.raises(SlantError, match="align"):
        span_breakdown(GOLD, PRED[:1], LL)


def test_per_technique_and_empty():
    m = span_prf(GOLD, PRED, technique=NC, mode="exact")
    assert (m["n_gold"], m["n_pred"], m["precision"], m["recall"]) == (1, 2, 0.5, 1.0)
    e = span_prf([[]], [[]], mode="exact")
    assert (e["precision"], e["recall"], e["f1"], e["n_gold"]) == (0.0, 0.0, 0.0, 0)
    with pytest.raises(SlantError, match="mode"):
        span_prf(GOLD, PRED, mode="fuzzy")
    with pytest.raises(SlantError, match="align"):
        span_prf(GOLD, PRED[:1])


def test_token_prf():
    # doc1 tokens: the radical mob stormed the hall ; doc2: a disastrous plan
    # gold (tok,tech): radical/LL mob/LL mob/NC disastrous/LL  -> 4
    # pred: radical/LL mob/NC disastrous/NC plan/NC            -> 4, tp = 2
    m = token_prf(GOLD, PRED, TEXTS)
    assert (m["n_gold"], m["n_pred"], m["tp_pred"], m["n_tokens"]) == (4, 4, 2, 9)
    assert m["f1"] == pytest.approx(0.5)
    # techniques ignored: gold tokens radical,mob,disastrous ; pred radical,mob,disastrous,plan
    s = token_prf(GOLD, PRED, TEXTS, ignore_technique=True)
    assert s["precision"] == pytest.approx(0.75) and s["recall"] == 1.0
    ll = token_prf(GOLD, PRED, TEXTS, technique=LL)
    assert ll["precision"] == 1.0 and ll["recall"] == pytest.approx(1 / 3)


def test_span_report_structure():
    r = span_report(GOLD, PRED, TEXTS, techniques=(LL, NC))
    assert set(r) == {"overall", "spans_only", "per_technique"}
    assert r["per_technique"][NC]["exact"]["f1"] == pytest.approx(2 / 3)
    assert r["overall"]["overlap"]["f1"] == pytest.approx(2 / 3)
    table = format_span_report(r)
    assert table.splitlines()[0].startswith("scope") and len(table.splitlines()) == 5


TRAIN = [
    "Critics call the minister a pariah after the vote.",
    "The regime, an international pariah, held elections.",
    "The minister held a vote on Tuesday.",
    "He became a Pariah overnight, said the so-called experts.",
    "The so-called experts spoke to the press.",
]


def _span(text, phrase, tech):
    i = text.index(phrase)
    return {"start": i, "end": i + len(phrase), "technique": tech}


def _train_spans():
    return [
        [_span(TRAIN[0], "pariah", NC)],
        [_span(TRAIN[1], "pariah", NC)],
        [],
        [_span(TRAIN[3], "Pariah", NC), _span(TRAIN[3], "so-called experts", LL)],
        [_span(TRAIN[4], "so-called experts", LL)],
    ]


def test_lexicon_learns_pariah_and_phrase():
    lex = LexiconBaseline().fit(TRAIN, _train_spans())
    assert lex.entries["pariah"] == {"technique": NC, "precision": 1.0, "count": 3}
    assert lex.entries["so-called experts"]["count"] == 2
    assert "minister" not in lex.entries  # never in a span
    assert "the" not in lex.entries
    text = "Analysts said the PARIAH state and its so-called  experts, not pariahship, failed."
    (spans,) = lex.predict([text])
    got = [(text[s["start"]:s["end"]], s["technique"]) for s in spans]
    assert got == [("PARIAH", NC), ("so-called  experts", LL)]


def test_lexicon_longest_match_wins_without_overlap():
    lex = LexiconBaseline(min_precision=0.0, min_count=1)
    lex.entries = {"called": {"technique": NC, "precision": 1.0, "count": 1},
                   "so-called experts": {"technique": LL, "precision": 1.0, "count": 1}}
    (spans,) = lex.predict(["the so-called experts were called in"])
    assert [(s["start"], s["end"], s["technique"]) for s in spans] == [(4, 21, LL), (27, 33, NC)]


def test_lexicon_precision_threshold_and_json_roundtrip():
    texts = ["a bad day", "a bad idea", "a bad plan", "a bad move"]
    spans = [[(2, 5, LL)], [(2, 5, LL)], [], []]
    assert "bad" not in LexiconBaseline(min_precision=0.6).fit(texts, spans).entries  # 2/4 = 0.5
    lex = LexiconBaseline(min_precision=0.5).fit(texts, spans)
    assert lex.entries["bad"]["precision"] == 0.5
    back = LexiconBaseline.from_json(lex.to_json())
    assert back.entries == lex.entries and back.min_precision == 0.5
    assert back.predict(["Bad news"]) == [[{"start": 0, "end": 3, "technique": LL}]]
    with pytest.raises(SlantError, match="not a Slant lexicon"):
        LexiconBaseline.from_json('{"format": "other"}')
