"""Shared fixtures: offline mode, a tiny synthetic labelled corpus, tiny-model configs.

The synthetic corpus is generated here (templates × loaded words), so unit tests
need no dataset; tests marked ``real`` use the packaged encoder / shipped model
and, where they need data, ``$SLANT_DATA_ROOT``.
"""
from __future__ import annotations

import json
import os
import random

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

LOADED = ["pariah", "disgraceful", "radical", "thugs", "shameful", "outrageous", "bizarre", "reckless"]
NEUTRAL_SUBJECTS = ["The council", "The ministry", "The company", "Officials", "The court", "Researchers"]
NEUTRAL_VERBS = ["published a report on", "met to discuss", "announced figures for", "held a hearing on"]
TOPICS = ["the budget", "water supply", "road repairs", "school funding", "trade talks", "the census"]


def synthetic_rows(n: int = 80, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        subj, verb, topic = rng.choice(NEUTRAL_SUBJECTS), rng.choice(NEUTRAL_VERBS), rng.choice(TOPICS)
        if i % 2:
            word = rng.choice(LOADED)
            text = f"{subj} {verb} {topic} in a {word} move."
            start = text.index(word)
            rows.append({"id": f"s{i}", "text": text, "label": 1,
                         "spans": [{"start": start, "end": start + len(word), "technique": "loaded_language"}],
                         "outlet": f"outlet{i % 5}"})
        else:
            text = f"{subj} {verb} {topic} on Monday."
            rows.append({"id": f"s{i}", "text": text, "label": 0, "spans": [], "outlet": f"outlet{i % 5}"})
    return rows


@pytest.fixture
def small_chunks(monkeypatch):
    """Text files over 2,000 bytes stream in ~600-character chunks, so a test file of a few KB
    goes the way a file over 2 MB does."""
    import inference.reading as reading

    monkeypatch.setattr(reading, "HUGE_BYTES", 2_000)
    monkeypatch.setattr(reading, "CHUNK_CHARS", 600)


@pytest.fixture
def synthetic_jsonl(tmp_path):
    path = tmp_path / "synthetic.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in synthetic_rows()) + "\n")
    return path


def tiny_overrides(data_path, **extra) -> list[str]:
    base = {
        "model.base": "tiny-random-bert",
        "data.train": str(data_path),
        "data.eval_source": str(data_path),
        "train.batch_size": 8,
        "train.lr": 3e-3,
        "train.bf16": "off",
        "train.patience": 0,
        "train.epochs": 1,
        "train.threads": 1,
    }
    base.update(extra)
    return [f"{k}={v}" for k, v in base.items()]


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    """A tiny random BERT trained for a few steps on the synthetic corpus (token head included)."""
    from training.config import load_config
    from training.train import train

    root = tmp_path_factory.mktemp("tiny_model")
    path = root / "synthetic.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in synthetic_rows()) + "\n")
    return train(load_config(None, tiny_overrides(path, **{"train.max_steps": 6})), root / "run")


PEOPLE = ["Anna Berg", "Carl Dunn", "Eva Frost", "Gus Hale"]
STANCE_TEMPLATES = {
    2.0: "{name} was slammed as a disgraceful failure by critics.",
    4.0: "{name} met officials in the capital on Tuesday.",
    6.0: "{name} was praised for a brilliant, heroic rescue.",
}


def write_newsmtsc(root, n: int = 60, seed: int = 0):
    """A synthetic NewsMTSC folder (three files, NewsMTSC's JSONL layout) under ``root``."""
    rng = random.Random(seed)
    folder = root / "newsmtsc"
    folder.mkdir(parents=True, exist_ok=True)
    for part, size in (("train", n), ("devtest_rw", n // 4), ("devtest_mt", n // 4)):
        lines = []
        for i in range(size):
            pol, name = rng.choice(sorted(STANCE_TEMPLATES)), rng.choice(PEOPLE)
            text = STANCE_TEMPLATES[pol].format(name=name) + f" ({part} {i})"
            lines.append(json.dumps({"primary_gid": f"x_{part}_{i}", "sentence_normalized": text,
                                     "targets": [{"from": 0, "to": len(name), "mention": name, "polarity": pol}]}))
        (folder / f"{part}.jsonl").write_text("\n".join(lines) + "\n")
    return root


@pytest.fixture(scope="session")
def tiny_stance_model(tmp_path_factory):
    """A tiny random BERT with sentence, token and stance heads, trained a few steps on
    the synthetic corpus plus a synthetic NewsMTSC folder."""
    from training.config import load_config
    from training.train import train

    root = tmp_path_factory.mktemp("tiny_stance")
    path = root / "synthetic.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in synthetic_rows()) + "\n")
    write_newsmtsc(root / "data")
    overrides = tiny_overrides(path, **{"train.max_steps": 8, "data.train": f"{path},newsmtsc",
                                        "model.stance_head": "true", "data.root": str(root / "data")})
    return train(load_config(None, overrides), root / "run")


def write_xlsx(path, rows: list[list[str]]) -> None:
    """A one-sheet .xlsx of inline strings (the parts ``training.xlsx`` reads)."""
    import zipfile
    from xml.sax.saxutils import escape

    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    cells = "".join(
        f'<row r="{i + 1}">' + "".join(f'<c r="{chr(65 + j)}{i + 1}" t="inlineStr"><is><t>{escape(v)}</t></is></c>'
                                       for j, v in enumerate(row)) + "</row>"
        for i, row in enumerate(rows))
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("xl/workbook.xml", f'<workbook {ns} {rel}><sheets><sheet name="s" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>')
        z.writestr("xl/worksheets/sheet1.xml", f"<worksheet {ns}><sheetData>{cells}</sheetData></worksheet>")


def batch_loss_with_ctrl_c_at(call: int, signame: str = "SIGINT"):
    """``training.loop.batch_loss`` that sends this process SIGINT (or ``signame``) in the middle of its
    ``call``-th step (the step's dropout masks drawn, its update not yet made), as a user's Ctrl-C may."""
    import os
    import signal

    from training import loop

    real, calls = loop.batch_loss, {"n": 0}

    def loss_then_ctrl_c(*args, **kwargs):
        loss = real(*args, **kwargs)
        calls["n"] += 1
        if calls["n"] == call:
            os.kill(os.getpid(), getattr(signal, signame))
        return loss

    return loss_then_ctrl_c


def same_weights(folder_a, folder_b) -> bool:
    """Whether two model folders hold bit-identical ``model.safetensors`` tensors under the same names."""
    import torch
    from safetensors.torch import load_file

    a, b = load_file(str(folder_a / "model.safetensors")), load_file(str(folder_b / "model.safetensors"))
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
