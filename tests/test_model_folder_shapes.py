"""encoder_config.json and meta.json of the wrong shape are one model error; a quiet
transformers load gives the caller's logging back; ``--per-line`` scores no invisible or divider line."""
import json
import shutil

import pytest

from models import default_model_path
from models.errors import SlantError
from models.fast_load import load_for_scoring
from models.model_folder import load_model


def _copy(src, dest, weights: bool = True):
    """A copy of a model folder; its weights a link (``weights``) or bytes that are never read."""
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("model.safetensors"))
    if weights:
        (dest / "model.safetensors").symlink_to((src / "model.safetensors").resolve())
    else:
        (dest / "model.safetensors").write_bytes(b"weights are never read here")
    return dest


def _one_line(e, folder, *words):
    text = str(e.value)
    assert "\n" not in text and str(folder) in text, text
    for w in words:
        assert w in text, text


# --- 1. encoder_config.json ------------------------------------------------------------------------

def test_an_empty_encoder_config_is_one_model_error_not_an_attribute_error(tmp_path):
    from inference.scorer import Scorer

    folder = _copy(default_model_path(), tmp_path / "m", weights=False)
    (folder / "encoder_config.json").write_text("{}")
    with pytest.raises(SlantError, match="encoder_config.json lacks 'vocab_size', 'hidden_size'") as e:
        Scorer.load(folder)  # was AttributeError: 'types.SimpleNamespace' object has no attribute 'vocab_size'
    _one_line(e, folder, "restore the file from a good copy of the folder, or retrain")


GOOD_ENCODER = json.loads((default_model_path() / "encoder_config.json").read_text())


@pytest.mark.parametrize("change, message", [
    (lambda c: [c], "encoder_config.json holds \\[.*, not a JSON object"),
    (lambda c: "bert", 'encoder_config.json holds "bert"'),
    (lambda c: {**c, "hidden_size": "384"}, "field 'hidden_size' is \"384\", not a positive whole number"),
    (lambda c: {**c, "num_hidden_layers": 2.5}, "'num_hidden_layers' is 2.5"),
    (lambda c: {**c, "vocab_size": True}, "'vocab_size' is true"),
    (lambda c: {**c, "layer_norm_eps": "x"}, "'layer_norm_eps' is \"x\", not a positive number"),
    (lambda c: {**c, "model_type": 5}, "'model_type' is 5, not a string"),
    (lambda c: {**c, "num_attention_heads": 5}, "hidden_size 384, not a multiple of num_attention_heads 5"),
    (lambda c: {k: v for k, v in c.items() if k != "intermediate_size"}, "lacks 'intermediate_size'"),
])
def test_encoder_config_of_the_wrong_shape_is_one_model_error(tmp_path, change, message):
    folder = _copy(default_model_path(), tmp_path / "m", weights=False)
    (folder / "encoder_config.json").write_text(json.dumps(change(GOOD_ENCODER)))
    with pytest.raises(SlantError, match=message) as e:
        load_for_scoring(folder)
    _one_line(e, folder, "encoder_config.json")


def test_weights_shaped_unlike_encoder_config_are_one_model_error(tmp_path):
    folder = _copy(default_model_path(), tmp_path / "m")
    (folder / "encoder_config.json").write_text(json.dumps({**GOOD_ENCODER, "vocab_size": 100}))
    with pytest.raises(SlantError, match="do not fit encoder_config.json \\(size mismatch for embeddings") as e:
        load_for_scoring(folder)  # was torch's many-line RuntimeError
    _one_line(e, folder)


def test_a_base_config_that_is_no_object_is_one_error_naming_the_base_folder(tmp_path):
    from models.encoders import resolve_base
    from models.fast_load import _is_bert

    base = tmp_path / "base"
    base.mkdir()
    for f in resolve_base("all-MiniLM-L6-v2").iterdir():
        (base / f.name).symlink_to(f)
    (base / "config.json").unlink()
    (base / "config.json").write_text('["bert"]')
    assert _is_bert(GOOD_ENCODER, base) is False  # was AttributeError: 'list' object has no attribute 'get'
    assert _is_bert({**GOOD_ENCODER, "hidden_act": "relu"}, None) is False  # FastBert's ValueError: not for it
    folder = _copy(default_model_path(), tmp_path / "m")
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "base": str(base)}))
    with pytest.raises(SlantError, match="base encoder .*: cannot be loaded .*; reinstall its package") as e:
        load_for_scoring(folder)  # the transformers path: was its ValueError
    assert str(base) in str(e.value) and "\n" not in str(e.value)


# --- 2. meta.json ----------------------------------------------------------------------------------

@pytest.mark.parametrize("load", [load_for_scoring, load_model], ids=["fast", "transformers"])
@pytest.mark.parametrize("meta, message", [
    ({}, "meta.json lacks 'versions', which Slant always writes there"),
    ({"kind": "model", "versions": {}}, "meta.json lacks 'temperature', 'threshold'"),
    ({"kind": "model", "versions": {}, "temperature": 1.2}, "meta.json lacks 'threshold'"),
    ({"kind": ["model"], "versions": {}}, "field 'kind' is \\[\"model\"\\], not \"model\" or \"checkpoint\""),
])
def test_a_meta_json_without_what_slant_always_writes_is_one_model_error(tmp_path, load, meta, message):
    folder = _copy(default_model_path(), tmp_path / "m", weights=False)
    (folder / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(SlantError, match=message) as e:
        load(folder)  # {} loaded: no temperature (uncalibrated scores) and default thresholds
    _one_line(e, folder, "restore the file")


def test_every_meta_json_slant_has_written_still_loads(tmp_path):
    """The shipped folders, a stance-only model, a model from before ``tasks`` (and the other later
    keys), a training checkpoint and a folder ``save_model`` wrote with ``meta={}``."""
    from models.model_folder import read_meta

    for src in (default_model_path(), default_model_path().parent / "default_stance"):
        assert read_meta(src)["kind"] == "model"
    old = {k: v for k, v in json.loads((default_model_path() / "meta.json").read_text()).items()
           if k in ("kind", "base", "labels", "tags", "temperature", "threshold", "metrics", "data", "train",
                    "versions")}
    versions = old["versions"]
    for meta in (old, {"kind": "checkpoint", "step": 6, "epoch": 0, "best_score": 0.5, "evals_since_best": 0,
                       "versions": versions}, {"versions": versions}):
        folder = tmp_path / str(len(list(tmp_path.iterdir())))
        folder.mkdir()
        (folder / "meta.json").write_text(json.dumps(meta))
        assert read_meta(folder) == meta


def test_a_training_checkpoint_loads(tiny_model):
    last = tiny_model.parent / "last"
    assert json.loads((last / "meta.json").read_text())["kind"] == "checkpoint"
    assert load_for_scoring(last).temperature == 1.0


# --- 3. transformers logging -----------------------------------------------------------------------

def test_loading_an_encoder_gives_the_callers_logging_and_progress_bars_back():
    import importlib

    from transformers.utils import logging as hf_logging

    from models.encoders import load_encoder

    hub = importlib.import_module("huggingface_hub.utils.tqdm")
    before = (hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled(), dict(hub.progress_bar_states))
    try:
        hf_logging.set_verbosity_info()
        hf_logging.enable_progress_bar()
        hub.progress_bar_states["huggingface_hub.http_get"] = False  # a caller's own per-group choice
        load_encoder("tiny-random-bert")
        assert hf_logging.get_verbosity() == hf_logging.INFO  # was ERROR for the rest of the process
        assert hf_logging.is_progress_bar_enabled()  # was off for good
        assert hub.progress_bar_states == {"_global": True, "huggingface_hub.http_get": False}
        from models.encoders import quiet_transformers

        with quiet_transformers():  # the load itself stays quiet
            assert hf_logging.get_verbosity() == hf_logging.ERROR and not hf_logging.is_progress_bar_enabled()
        assert hf_logging.get_verbosity() == hf_logging.INFO
        hf_logging.disable_progress_bar()
        load_encoder("tiny-random-bert")
        assert not hf_logging.is_progress_bar_enabled()
    finally:
        hf_logging.set_verbosity(before[0])
        (hf_logging.enable_progress_bar if before[1] else hf_logging.disable_progress_bar)()
        hub.progress_bar_states.clear()
        hub.progress_bar_states.update(before[2])


def test_a_long_input_to_slants_tokenizer_warns_nothing_though_warnings_are_back(capfd):
    """Slant windows long sentences itself: with transformers' warnings no longer hidden for good,
    the tokenizer's "longer than the specified maximum" is marked as given on Slant's tokenizer."""
    from transformers.utils import logging as hf_logging

    from models.encoders import load_encoder, load_tokenizer

    before = hf_logging.get_verbosity()
    try:
        hf_logging.set_verbosity_warning()
        load_encoder("tiny-random-bert")
        assert hf_logging.get_verbosity() == hf_logging.WARNING
        assert len(load_tokenizer("tiny-random-bert")(["framing " * 600])["input_ids"][0]) > 512
    finally:
        hf_logging.set_verbosity(before)
    assert "longer than the specified maximum" not in capfd.readouterr().err


# --- 4. --per-line ---------------------------------------------------------------------------------

INVISIBLE = "\u200b\u200b\n\ufeff\n\u00ad\n* * *\n---\n \u2060 \n"


def test_per_line_units_skip_invisible_and_divider_lines():
    from inference.score_cli import nonblank_lines
    from inference.segment import segment

    text = "Hello there.\n" + INVISIBLE + "\ufeffBOM line.\u200b\r\n  Indented \u2014 yes\n"
    units = nonblank_lines(text)
    assert [t for _, t in units] == ["Hello there.", "BOM line.", "Indented \u2014 yes"]
    assert all(text[a:a + len(t)] == t for a, t in units)
    assert segment(INVISIBLE) == [] and nonblank_lines(INVISIBLE) == []  # the two modes agree


def test_slant_score_per_line_scores_no_invisible_line(tiny_model, tmp_path, capsys):
    from inference.cli import main

    lines = tmp_path / "l.txt"
    lines.write_text("A disgraceful plan\n" + INVISIBLE + "Markets rise\n", encoding="utf-8")
    code = main(["score", str(lines), "--model", str(tiny_model), "--per-line", "--format", "jsonl", "--no-targets"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert [json.loads(r)["text"] for r in out.splitlines()] == ["A disgraceful plan", "Markets rise"]
