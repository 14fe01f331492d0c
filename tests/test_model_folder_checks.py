"""A model folder whose config.json or meta.json is valid JSON of the wrong shape is one model error."""
import json
import shutil

import pytest

from models import default_model_path
from models.errors import SlantError
from models.fast_load import load_for_scoring
from models.model_folder import load_model


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A copy of the shipped model without its weights: every check here fails before they load."""
    dest = tmp_path_factory.mktemp("model") / "m"
    shutil.copytree(default_model_path(), dest, ignore=shutil.ignore_patterns("model.safetensors"))
    (dest / "model.safetensors").write_bytes(b"weights are never read here")
    return dest


def _edit(folder, name, change):
    good = json.loads((default_model_path() / name).read_text())
    (folder / name).write_text(json.dumps(change(good)))
    for name_ in ("config.json", "meta.json"):
        if name_ != name:
            shutil.copy(default_model_path() / name_, folder / name_)


BAD = [
    ("meta.json", lambda m: [], "meta.json holds \\[\\], not a JSON object"),
    ("meta.json", lambda m: None, "meta.json holds null"),
    ("meta.json", lambda m: "x", 'meta.json holds "x"'),
    ("meta.json", lambda m: {**m, "temperature": "hot"}, "field 'temperature' is \"hot\", not a positive number"),
    ("meta.json", lambda m: {**m, "temperature": 0}, "'temperature' is 0, not a positive number"),
    ("meta.json", lambda m: {**m, "threshold": None}, "'threshold' is null, not a number from 0 to 1"),
    ("meta.json", lambda m: {**m, "span_threshold": 1.5}, "'span_threshold' is 1.5"),
    ("meta.json", lambda m: {**m, "stance_temperature": -1}, "'stance_temperature' is -1"),
    ("meta.json", lambda m: {**m, "tasks": "framing"}, "'tasks' is \"framing\", not a list of strings"),
    ("config.json", lambda c: {**c, "max_length": "long"}, "config.json field 'max_length' is \"long\""),
    ("config.json", lambda c: {**c, "max_length": True}, "'max_length' is true"),
    ("config.json", lambda c: {**c, "labels": None}, "'labels' is null, not a list of strings"),
    ("config.json", lambda c: {**c, "tags": [1, 2]}, "'tags' is \\[1, 2\\]"),
    ("config.json", lambda c: [c], "config.json holds \\[.*, not a JSON object"),
]


@pytest.mark.parametrize("load", [load_for_scoring, load_model], ids=["fast", "transformers"])
@pytest.mark.parametrize("name, change, message", BAD)
def test_wrong_shapes_and_types_are_one_model_error_naming_folder_file_and_field(folder, load, name, change, message):
    _edit(folder, name, change)
    with pytest.raises(SlantError, match=message) as e:
        load(folder)
    assert str(folder) in str(e.value) and "restore the file" in str(e.value) and "\n" not in str(e.value)


def test_the_cli_exits_2_before_scoring(folder, tmp_path, capsys):
    from inference.cli import main

    _edit(folder, "meta.json", lambda m: {**m, "temperature": 0})
    text = tmp_path / "a.txt"
    text.write_text("The ruthless regime attacked Taiwan.\n")
    code = main(["score", str(text), "--model", str(folder), "--no-targets"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "'temperature' is 0" in err  # was exit 1, per input


def test_a_folder_without_tokenizer_config_is_one_error_and_weights_are_readable_by_others(tiny_model, tmp_path):
    import os
    import stat

    mask = os.umask(0)
    os.umask(mask)
    for name in ("model.safetensors", "meta.json"):  # safetensors wrote 0600 while the rest got 0644
        assert stat.S_IMODE((tiny_model / name).stat().st_mode) == 0o666 & ~mask, name
    broken = shutil.copytree(tiny_model, tmp_path / "m")
    (broken / "tokenizer_config.json").unlink()  # transformers then loads a tokenizer with no padding token
    with pytest.raises(SlantError, match="missing tokenizer_config.json"):
        load_model(broken)
