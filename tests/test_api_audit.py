"""The public Python API as a notebook or web service uses it: ``Scorer.load``, ``score``,
``score_sentences`` (faults found by an audit of that API, each pinned here)."""
import pytest

from inference.scorer import Scorer, _merge_spans
from models import default_model_path

HAS_DEFAULT = (default_model_path() / "model.safetensors").is_file()


def _span(start, end, score):
    return {"start": start, "end": end, "score": score, "technique": "loaded_language"}


def _overlaps(spans):
    pairs = sorted((s["start"], s["end"]) if isinstance(s, dict) else (s.start, s.end) for s in spans)
    return [(a, b) for a, b in zip(pairs, pairs[1:]) if b[0] < a[1]]


def test_a_span_overlapping_two_from_another_window_leaves_no_overlap():
    """One window marks "radical" and "thugs", the next "radical thugs": one of the two readings
    stays, never both (the merge used to compare with the first clash only)."""
    existing = [_span(0, 7, 0.6), _span(8, 13, 0.7)]
    better = _merge_spans(existing, [_span(0, 13, 0.9)])
    assert [(s["start"], s["end"]) for s in better] == [(0, 13)]
    worse = _merge_spans(existing, [_span(0, 13, 0.65)])  # beats "radical" but not "thugs"
    assert [(s["start"], s["end"]) for s in worse] == [(0, 7), (8, 13)]
    assert not _overlaps(_merge_spans([_span(5, 9, 0.5)], [_span(0, 6, 0.4), _span(8, 12, 0.9)]))


@pytest.mark.real
def test_a_sentence_longer_than_the_window_gets_no_overlapping_spans():
    """A 150-word sentence is read in overlapping windows; the loaded phrase sits where two meet.
    Before the fix the shipped model gave "disgraceful radical thugs" and "thugs" both."""
    if not HAS_DEFAULT:
        pytest.fail("the shipped default model is missing: models/default/model.safetensors")
    text = ("word " * 86 + "they are thumbing their noses at the disgraceful radical thugs and pariah regime "
            + "ok " * 130 + "end.")
    [rec] = Scorer.load(targets=False).score_sentences([text])
    assert rec.spans and not _overlaps(rec.spans), [(s.start, s.end, s.text) for s in rec.spans]
    assert all(text[s.start:s.end] == s.text for s in rec.spans)


def test_score_sentences_takes_a_generator_like_a_list(tiny_model):
    """The type check used to use up a generator, which then failed with "has no len()"."""
    scorer = Scorer.load(tiny_model)
    sents = ["The council met on Monday.", "Officials held a hearing in a disgraceful move."]
    from_list = scorer.score_sentences(sents)
    from_gen = scorer.score_sentences(s for s in sents)
    assert [r.to_dict() for r in from_gen] == [r.to_dict() for r in from_list]
    with pytest.raises(TypeError, match="list of str"):
        scorer.score_sentences(None)
    with pytest.raises(TypeError, match="list of str"):
        scorer.score_sentences(x for x in ["ok.", None])


@pytest.mark.parametrize("method", ["load", "score", "score_sentences"])
def test_help_says_what_each_public_method_returns_and_raises(method):
    doc = getattr(Scorer, method).__doc__ or ""
    assert "Returns" in doc and "SlantError" in doc, doc
    assert "SlantError" in (Scorer.__doc__ or "") and "TypeError" in (Scorer.__doc__ or "")


def test_load_checks_its_options_first_and_an_empty_path_is_the_default(tiny_model, monkeypatch):
    import models
    from inference import scorer as scorer_module
    from inference.scorer import Scorer

    loads = []
    monkeypatch.setattr(scorer_module, "load_for_scoring", lambda p: loads.append(p))
    with pytest.raises(TypeError, match="threshhold"):
        Scorer.load(tiny_model, threshhold=0.4)
    assert loads == []  # refused before any model was read
    monkeypatch.undo()
    monkeypatch.setattr(models, "default_model_path", lambda: tiny_model)
    monkeypatch.setattr(models, "default_stance_path", lambda: tiny_model.parent / "no_stance_here")
    assert Scorer.load("").loaded.folder == Scorer.load(None).loaded.folder


def test_spans_switched_off_say_so_and_key_the_cache_apart(tiny_model):
    from inference.report_cache import model_key
    from inference.scorer import Scorer

    on, off = Scorer.load(tiny_model), Scorer.load(tiny_model, spans=False)
    article = off.score("The pariah regime is thumbing its nose at the world.")
    assert on.spans_available and not off.spans_available and not article.spans_available
    assert all(not s.spans for s in article.sentences)
    assert model_key(on) != model_key(off)
