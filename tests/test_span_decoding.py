import numpy as np
import pytest

from models.span_decoding import decode_spans
from training.schema import bio_tags

TAGS = bio_tags()


def probs_for(labels: list[str], confidence: float = 0.9) -> np.ndarray:
    out = np.full((len(labels), len(TAGS)), (1 - confidence) / (len(TAGS) - 1))
    for k, lab in enumerate(labels):
        out[k, TAGS.index(lab)] = confidence
    return out


def test_pieces_become_whole_word_spans_with_technique():
    text = "They are thumbing their noses at the pariahs"
    # word pieces: They are thumb ##ing their noses at the pariah ##s
    offsets = [(0, 0), (0, 4), (5, 8), (9, 14), (14, 17), (18, 23), (24, 29), (30, 32), (33, 36), (37, 43), (43, 44), (0, 0)]
    labels = ["O", "O", "O", "B-loaded_language", "I-loaded_language", "I-loaded_language", "I-loaded_language", "O", "O",
              "B-name_calling", "O", "O"]
    spans = decode_spans(probs_for(labels), offsets, TAGS, text)
    assert [(text[s["start"]:s["end"]], s["technique"]) for s in spans] == [
        ("thumbing their noses", "loaded_language"), ("pariahs", "name_calling")]
    assert all(0.85 < s["score"] <= 1.0 for s in spans)


def test_threshold_trades_recall_for_precision():
    text = "a bizarre move"
    offsets = [(0, 0), (0, 1), (2, 9), (10, 14), (0, 0)]
    p = probs_for(["O", "O", "O", "O", "O"], 0.9)
    p[2] = 0.0
    p[2, TAGS.index("O")] = 0.6
    p[2, TAGS.index("B-loaded_language")] = 0.4
    assert decode_spans(p, offsets, TAGS, text, threshold=0.5) == []
    [span] = decode_spans(p, offsets, TAGS, text, threshold=0.3)
    assert text[span["start"]:span["end"]] == "bizarre" and abs(span["score"] - 0.4) < 1e-6


def test_a_hyphenated_compound_is_one_span_and_a_dash_between_words_is_not():
    text = "an ultra-provocative trip - again"
    # word pieces: an ultra - pro ##vo ##cative trip - again
    offsets = [(0, 0), (0, 2), (3, 8), (8, 9), (9, 12), (12, 14), (14, 20), (21, 25), (26, 27), (28, 33), (0, 0)]
    labels = ["O", "O", "B-loaded_language", "O", "O", "O", "B-loaded_language", "O", "O", "B-loaded_language", "O"]
    spans = decode_spans(probs_for(labels), offsets, TAGS, text)
    assert [text[s["start"]:s["end"]] for s in spans] == ["ultra-provocative", "again"]


def test_a_censored_word_is_one_span_and_a_footnote_star_is_not_part_of_it():
    text = "sons of b**ches * again"
    # word pieces: sons of b * * ches * again
    offsets = [(0, 0), (0, 4), (5, 7), (8, 9), (9, 10), (10, 11), (11, 15), (16, 17), (18, 23), (0, 0)]
    labels = ["O", "O", "O", "B-loaded_language", "I-loaded_language", "O", "B-loaded_language", "O",
              "B-loaded_language", "O"]
    spans = decode_spans(probs_for(labels), offsets, TAGS, text)
    assert [text[s["start"]:s["end"]] for s in spans] == ["b**ches", "again"]


def test_technique_weights_choose_the_technique_not_the_score():
    text = "the leftist mob"
    offsets = [(0, 0), (0, 3), (4, 11), (12, 15), (0, 0)]
    p = np.full((5, len(TAGS)), 0.0)
    p[:, TAGS.index("O")] = 1.0
    # "leftist": in a span (O 0.2), leaning loaded language 0.5 against name-calling 0.3
    p[2] = 0.0
    p[2, TAGS.index("O")] = 0.2
    p[2, TAGS.index("B-loaded_language")] = 0.5
    p[2, TAGS.index("B-name_calling")] = 0.3
    [plain] = decode_spans(p, offsets, TAGS, text, threshold=0.5)
    [weighted] = decode_spans(p, offsets, TAGS, text, threshold=0.5, technique_weights={"name_calling": 2.0})
    assert plain["technique"] == "loaded_language" and weighted["technique"] == "name_calling"
    assert weighted["score"] == plain["score"] == pytest.approx(0.8)
    assert (weighted["start"], weighted["end"]) == (4, 11)


def test_a_function_word_alone_joins_the_next_span_or_is_dropped():
    text = "a disgraceful pariah, and so on"
    # word pieces: a disgraceful pariah , and so on
    offsets = [(0, 0), (0, 1), (2, 13), (14, 20), (20, 21), (22, 25), (26, 28), (29, 31), (0, 0)]
    labels = ["O", "B-loaded_language", "B-loaded_language", "I-loaded_language", "O", "O", "B-loaded_language", "O", "O"]
    spans = decode_spans(probs_for(labels), offsets, TAGS, text)
    assert [text[s["start"]:s["end"]] for s in spans] == ["a disgraceful pariah"]


def test_function_words_at_a_span_end_are_trimmed_but_a_phrasal_verb_keeps_up():
    text = "A disgrace of a bill, to stir up hate"
    # word pieces: A disgrace of a bill , to stir up hate
    offsets = [(0, 0), (0, 1), (2, 10), (11, 13), (14, 15), (16, 20), (20, 21), (22, 24), (25, 29), (30, 32), (33, 37), (0, 0)]
    labels = ["O", "B-loaded_language", "I-loaded_language", "I-loaded_language", "I-loaded_language", "O", "O",
              "B-loaded_language", "I-loaded_language", "I-loaded_language", "O", "O"]
    spans = decode_spans(probs_for(labels), offsets, TAGS, text)
    assert [text[s["start"]:s["end"]] for s in spans] == ["A disgrace", "stir up"]


def test_spans_bridged_by_a_function_word_are_one_phrase_but_not_across_a_conjunction():
    text = "thumbing their noses, a pariah and a thug"
    # word pieces: thumb ##ing their noses , a pariah and a thug
    offsets = [(0, 0), (0, 5), (5, 8), (9, 14), (15, 20), (20, 21), (22, 23), (24, 30), (31, 34), (35, 36), (37, 41), (0, 0)]
    labels = ["O", "B-loaded_language", "I-loaded_language", "O", "B-loaded_language", "O", "O", "B-name_calling", "O", "O",
              "B-name_calling", "O"]
    spans = decode_spans(probs_for(labels), offsets, TAGS, text)
    assert [text[s["start"]:s["end"]] for s in spans] == ["thumbing their noses", "pariah", "thug"]


@pytest.mark.parametrize("text,quote", [('called it a "disgrace" today', '"'), ("called it a \u201cdisgrace\u201d today", "\u201d")])
def test_a_span_never_shows_half_a_quotation(text, quote):
    # word pieces: called it a " disgrace " today; the model marked 'a "disgrace' and stopped
    q1 = text.index("a ") + 2
    offsets = [(0, 0), (0, 6), (7, 9), (10, 11), (q1, q1 + 1), (q1 + 1, q1 + 9), (q1 + 9, q1 + 10), (q1 + 11, q1 + 16), (0, 0)]
    labels = ["O", "O", "O", "B-loaded_language", "I-loaded_language", "I-loaded_language", "O", "O", "O"]
    [span] = decode_spans(probs_for(labels), offsets, TAGS, text)
    assert text[span["start"]:span["end"]] == f"a {text[q1]}disgrace{quote}"
    # only the quote mark and the word marked, no closing mark in the text: the lone mark goes
    cut = text[:q1 + 9]
    [alone] = decode_spans(probs_for(["O", "O", "O", "O", "B-loaded_language", "I-loaded_language", "O"]),
                           offsets[:6] + [(0, 0)], TAGS, cut)
    assert cut[alone["start"]:alone["end"]] == "disgrace"


def test_punctuation_at_a_span_end_is_not_highlighted():
    text = "what a disaster, he said"
    # word pieces: what a disaster , he said
    offsets = [(0, 0), (0, 4), (5, 6), (7, 15), (15, 16), (17, 19), (20, 24), (0, 0)]
    labels = ["O", "O", "O", "B-loaded_language", "I-loaded_language", "O", "O", "O"]
    [span] = decode_spans(probs_for(labels), offsets, TAGS, text)
    assert text[span["start"]:span["end"]] == "disaster"


@pytest.mark.parametrize("joiner", ["\u00ad", "\u200d", "\u2060"])
def test_a_soft_hyphen_or_joiner_inside_a_word_keeps_it_one_span(joiner):
    """Typeset text hides soft hyphens in long words; the tokenizer drops them, so the word's two
    halves came out as two spans."""
    text = f"an ultra{joiner}provocative trip"
    # word pieces as the tokenizer gives them once the joiner is dropped: an ultra pro ##vo ##cative trip
    offsets = [(0, 0), (0, 2), (3, 8), (9, 12), (12, 14), (14, 20), (21, 25), (0, 0)]
    labels = ["O", "O", "B-loaded_language", "B-loaded_language", "I-loaded_language", "I-loaded_language", "O", "O"]
    spans = decode_spans(probs_for(labels), offsets, TAGS, text)
    assert [text[s["start"]:s["end"]] for s in spans] == [f"ultra{joiner}provocative"]
