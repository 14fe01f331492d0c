"""The Scorer API and output formats, on a tiny trained model."""
import csv
import io
import json

import pytest

from inference.formats import WRITERS
from inference.scorer import Scorer
from inference.summary import summarize
from models.errors import SlantError

SEED_LIKE = ('Moscow is shrugging off accusations. Its international \'pariah\' leader Kim Jong Un met officials.\n'
             '"We have information that talks continue," NSC spokesperson Adrienne Watson said.\n')


def test_score_keeps_offsets_paragraphs_and_voice(tiny_model):
    art = Scorer.load(tiny_model).score(SEED_LIKE, doc="a.txt")
    assert [s.index for s in art.sentences] == list(range(len(art.sentences)))
    for s in art.sentences:
        assert SEED_LIKE[s.start:s.end] == s.text
        assert 0.0 <= s.score <= 1.0
        assert s.label == ("framing" if s.score >= art.threshold else "neutral")
        for sp in s.spans:
            assert SEED_LIKE[sp.start:sp.end] == sp.text and s.start <= sp.start < sp.end <= s.end
    assert art.sentences[-1].paragraph == 1 and art.sentences[-1].voice == "quote"
    assert art.sentences[0].voice == "author"


def test_score_sentences_matches_score_on_the_same_text(tiny_model):
    scorer = Scorer.load(tiny_model)
    sents = ["The council met on Monday.", "Officials held a hearing in a disgraceful move."]
    a = scorer.score_sentences(sents)
    b = [scorer.score(t).sentences[0] for t in sents]
    assert [round(x.score, 5) for x in a] == [round(x.score, 5) for x in b]


def test_batching_does_not_change_scores(tiny_model):
    sents = [f"Sentence number {i} " + "word " * (i % 17) for i in range(40)]
    big = Scorer.load(tiny_model, bf16=False).score_sentences(sents)
    small = Scorer.load(tiny_model, bf16=False, token_budget=64, max_batch=2).score_sentences(sents)
    assert max(abs(x.score - y.score) for x, y in zip(big, small)) < 1e-5


def test_a_5000_word_sentence_is_scored_in_windows_not_truncated(tiny_model):
    scorer = Scorer.load(tiny_model)
    long = "the council met " * 1666 + "in a disgraceful pariah move"
    pieces = scorer._pieces([long])
    assert len(pieces) > 40
    covered = max(off[1] for p in pieces for off in p.offsets)
    assert covered == len(long)
    [rec] = scorer.score_sentences([long])
    assert 0.0 <= rec.score <= 1.0 and rec.end == len(long)


def test_threshold_override_changes_labels_only(tiny_model):
    low = Scorer.load(tiny_model, threshold=0.0).score_sentences(["The court met."])
    high = Scorer.load(tiny_model, threshold=1.0).score_sentences(["The court met."])
    assert low[0].label == "framing" and high[0].label == "neutral" and low[0].score == high[0].score


def test_empty_text_is_a_clear_error(tiny_model):
    scorer = Scorer.load(tiny_model)
    with pytest.raises(SlantError, match="empty text"):
        scorer.score("   \n ")
    with pytest.raises(SlantError, match="sentence 1 holds no letter or digit"):  # it got a score of its own
        scorer.score_sentences(["The court met.", " "])
    for invisible in ("\u200b", "\ufeff ", "* * *"):  # as score() makes no sentence of them
        with pytest.raises(SlantError, match="sentence 0 holds no letter or digit"):
            scorer.score_sentences([invisible, "The court met."])


def test_wrong_types_are_clear_errors_not_failures_deep_inside(tiny_model):
    scorer = Scorer.load(tiny_model)
    with pytest.raises(TypeError, match="list of str"):  # a bare string was scored character by character
        scorer.score_sentences("The court met.")
    with pytest.raises(TypeError, match="list of str"):
        scorer.score_sentences(["The court met.", None])
    with pytest.raises(TypeError, match="decode the bytes first"):
        scorer.score(b"The court met.")
    with pytest.raises(TypeError, match="not NoneType"):
        scorer.score(None)
    for bad in (2.0, -0.1, "0.5", True):  # every sentence came out neutral, or numpy failed at scoring time
        with pytest.raises(SlantError, match="between 0 and 1"):
            Scorer.load(tiny_model, threshold=bad)


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_every_format_writes_and_escapes_html(tiny_model, fmt):
    text = "The <script>alert(1)</script> council met. They are disgraceful thugs."
    art = Scorer.load(tiny_model).score(text, doc="evil.html")
    buf = io.StringIO()
    writer = WRITERS[fmt](buf)
    writer.write(art, summarize(art))
    writer.close()
    out = buf.getvalue()
    if fmt == "jsonl":
        recs = [json.loads(line) for line in out.splitlines()]
        assert set(recs[0]) == {"doc", "index", "paragraph", "start", "end", "text", "score", "label", "voice", "spans", "targets"}
    elif fmt == "json":
        assert json.loads(out)[0]["summary"]["sentences"] == len(art.sentences)
    elif fmt == "csv":
        assert len(list(csv.DictReader(io.StringIO(out)))) == len(art.sentences)
    if fmt in ("html", "md"):
        # highlights may cut "<script>" into pieces, each escaped on its own
        assert "<script" not in out and "script&gt;" in out


def test_bf16_runs_a_bf16_network_close_to_fp32_and_leaves_a_handed_in_model_fp32(tiny_model):
    import torch

    from models.fast_load import load_for_scoring

    sents = ["The council met on Monday.", "Officials held a hearing in a disgraceful move."] * 3
    ref = Scorer.load(tiny_model, precision="fp32").score_sentences(sents)
    owned = Scorer.load(tiny_model, precision="bf16")
    got = owned.score_sentences(sents)
    assert max(abs(x.score - y.score) for x, y in zip(ref, got)) < 0.02
    assert next(owned.loaded.model.parameters()).dtype == torch.bfloat16  # its own model, cast in place
    loaded = load_for_scoring(tiny_model)
    handed = Scorer(loaded, precision="bf16")
    assert [r.score for r in handed.score_sentences(sents)] == [r.score for r in got]
    assert next(loaded.model.parameters()).dtype == torch.float32  # the caller's model is not touched


def test_int8_precision_stays_close_to_fp32(tiny_model):
    sents = ["The council met on Monday.", "Officials held a hearing in a disgraceful move."] * 3
    a = Scorer.load(tiny_model, precision="fp32").score_sentences(sents)
    b = Scorer.load(tiny_model, precision="int8").score_sentences(sents)
    assert max(abs(x.score - y.score) for x, y in zip(a, b)) < 0.05
    with pytest.raises(SlantError, match="precision"):
        Scorer.load(tiny_model, precision="fp8")


def test_technique_weights_are_read_and_checked(tiny_model, tmp_path):
    import json
    import shutil

    folder = tmp_path / "model"
    shutil.copytree(tiny_model, folder)
    meta = json.loads((folder / "meta.json").read_text())
    assert isinstance(meta["technique_weights"], dict)  # every trained folder records them
    meta["technique_weights"] = {"name_calling": 2}
    (folder / "meta.json").write_text(json.dumps(meta))
    assert Scorer.load(folder).technique_weights == {"name_calling": 2.0}
    meta.pop("technique_weights")  # a folder from before the weights: decodes without them
    (folder / "meta.json").write_text(json.dumps(meta))
    assert Scorer.load(folder).technique_weights == {}
    meta["technique_weights"] = {"name_calling": "heavy"}
    (folder / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(SlantError, match="technique_weights"):
        Scorer.load(folder)


def test_scorer_load_caps_onednn_caches_but_keeps_a_users_setting(tiny_model, monkeypatch):
    """Unbounded oneDNN caches grew a long scoring run past 1 GB (benchmarks/score_memory.py)."""
    import os

    from models.precision import ONEDNN_CACHE_ENTRIES

    monkeypatch.delenv("ONEDNN_PRIMITIVE_CACHE_CAPACITY", raising=False)
    monkeypatch.setenv("LRU_CACHE_CAPACITY", "8")
    Scorer.load(tiny_model, targets=False)
    assert os.environ["ONEDNN_PRIMITIVE_CACHE_CAPACITY"] == ONEDNN_CACHE_ENTRIES
    assert os.environ["LRU_CACHE_CAPACITY"] == "8"


def test_use_network_runs_the_given_network_through_the_same_decoding(tiny_model):
    import torch

    sents = ["The council met on Monday.", "Officials held a hearing in a disgraceful move."]
    scorer = Scorer.load(tiny_model, precision="fp32")
    before = [r.score for r in scorer.score_sentences(sents)]
    calls = []

    class Flipped(torch.nn.Module):
        """The scorer's own network with the two sentence logits swapped."""
        def __init__(self, inner):
            super().__init__()
            self.inner, self.arch = inner, inner.arch

        def forward(self, *args, **kwargs):
            calls.append(1)
            out = dict(self.inner(*args, **kwargs))
            out["logits"] = out["logits"].flip(-1)
            return out

    scorer.use_network(Flipped(scorer.network()))
    after = [r.score for r in scorer.score_sentences(sents)]
    assert calls  # the handed-in network ran, and through the same calibration: softmax(swapped / T)[1] = 1 - p
    assert after == pytest.approx([1 - p for p in before], abs=1e-5)
    assert scorer.network() is not scorer.loaded.model


def test_the_label_agrees_with_the_score_as_written(tiny_model):
    """The score is written to six decimals; the label came from the unrounded probability, so
    0.4999996 was written as 0.5 and labelled 'neutral' at threshold 0.5."""
    from inference.segment import segment

    [seg] = segment("The court met.")
    scorer = Scorer.load(tiny_model, threshold=0.5)
    rec = scorer._record("d", 0, seg, 0.4999996, [], "author", 0)
    assert rec.score == 0.5 and rec.label == "framing"
    assert scorer._record("d", 0, seg, 0.4999994, [], "author", 0).label == "neutral"
