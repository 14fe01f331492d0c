"""``slant score --engine ray`` writes the records the local engine writes (issue 6).

One local Ray instance (``ray.init(num_cpus=2)``) serves the whole module; the
corpus is a few short articles, some without an id, so the fallback ids
(``path:line``) are compared too.
"""
from __future__ import annotations

import builtins
import json
from pathlib import Path

import pytest

from inference.cli import main as slant
from models.errors import SlantError

ARTICLES = [
    "The council published a report on the budget. Critics called the plan a disgraceful waste.\n\n"
    "Officials said the figures were \"outrageous\" and promised a review.",
    "Researchers met to discuss water supply on Monday. The ministry announced figures for road repairs.",
    "The company held a hearing on trade talks in a reckless move. Nobody objected.",
    "Thugs disrupted the census, the mayor said. \"This is shameful,\" she added.\n\nThe court adjourned.",
    "School funding rose by 3%. The radical proposal was rejected by the council.",
    "The ministry met to discuss the budget. It was a bizarre day. Officials published a report.",
]


@pytest.fixture(scope="module")
def ray_local():
    ray = pytest.importorskip("ray")
    pytest.importorskip("ray.data")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.fixture
def corpus(tmp_path):
    rows = []
    for i, text in enumerate(ARTICLES):
        row = {"text": text, "outlet": f"o{i % 2}"}
        if i % 3:  # some rows without an id: both engines fall back to "<path>:<line>"
            row["id"] = f"a{i}"
        rows.append(json.dumps(row))
    path = tmp_path / "corpus.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _local_records(corpus: Path, model: Path, tmp_path: Path) -> list[dict]:
    out = tmp_path / "local.jsonl"
    assert slant(["score", str(corpus), "--model", str(model), "--format", "jsonl", "-o", str(out)]) == 0
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def _read_out(folder: Path) -> list[dict]:
    files = sorted(folder.glob("*.jsonl"))
    assert files, f"no JSONL written under {folder}"
    return [json.loads(line) for f in files for line in f.read_text(encoding="utf-8").splitlines()]


def _assert_same(ray_recs: list[dict], local_recs: list[dict]) -> None:
    key = lambda r: (r["doc"], r["index"])  # noqa: E731
    assert len(ray_recs) == len(local_recs) > 0
    assert sorted(map(key, ray_recs)) == sorted(map(key, local_recs))
    by_key = {key(r): r for r in local_recs}
    for rec in ray_recs:
        want = by_key[key(rec)]
        assert rec.keys() == want.keys()
        assert rec["score"] == pytest.approx(want["score"], abs=1e-4)
        assert len(rec["spans"]) == len(want["spans"])
        for got_span, want_span in zip(rec["spans"], want["spans"]):
            assert got_span["score"] == pytest.approx(want_span["score"], abs=1e-4)
            assert {k: v for k, v in got_span.items() if k != "score"} == \
                   {k: v for k, v in want_span.items() if k != "score"}
        strip = lambda r: {k: v for k, v in r.items() if k not in ("score", "spans")}  # noqa: E731
        assert strip(rec) == strip(want)


def test_ray_engine_matches_local_engine(ray_local, tiny_model, corpus, tmp_path, monkeypatch):
    monkeypatch.chdir(corpus.parent)  # relative input path: fallback ids must still match
    monkeypatch.setenv("SLANT_RAY_WORKERS", "2")
    local = _local_records(Path(corpus.name), tiny_model, tmp_path)
    out = tmp_path / "ray_out"
    code = slant(["score", corpus.name, "--model", str(tiny_model), "--engine", "ray", "--out", str(out)])
    assert code == 0
    got = _read_out(out)
    _assert_same(got, local)
    assert [(r["doc"], r["index"]) for r in got] == [(r["doc"], r["index"]) for r in local]  # order kept
    assert any(r["doc"].startswith("corpus.jsonl:") for r in got)


def test_ray_engine_parquet_output(ray_local, tiny_model, corpus, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    local = _local_records(corpus, tiny_model, tmp_path)
    out = tmp_path / "scores.parquet"
    assert slant(["score", str(corpus), "--model", str(tiny_model), "--engine", "ray", "--out", str(out)]) == 0
    table = pq.read_table(out)
    assert table.schema.field("spans").type.value_type.num_fields == 5  # list of structs, not JSON text
    _assert_same(table.to_pylist(), local)


def test_ray_engine_reports_bad_rows_and_keeps_going(ray_local, tiny_model, tmp_path, capsys):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "x", "text": "The council met on Monday."}\nnot json\n{"id": "y", "text": ""}\n')
    out = tmp_path / "out"
    assert slant(["score", str(path), "--model", str(tiny_model), "--engine", "ray", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "not valid JSON" in err and "no text in column" in err
    assert {r["doc"] for r in _read_out(out)} == {"x"}


def test_ray_engine_without_ray_says_how_to_install(monkeypatch, tmp_path, corpus, capsys):
    real_import = builtins.__import__

    def no_ray(name, *args, **kwargs):
        if name == "ray" or name.startswith("ray."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    from inference import ray_engine

    with pytest.raises(SlantError, match=r"pip install -e '\.\[ray\]'"):
        ray_engine._import_ray()
    code = slant(["score", str(corpus), "--engine", "ray", "--out", str(tmp_path / "o")])
    assert code == 2
    assert "slant: error: --engine ray needs Ray: pip install -e '.[ray]'" in capsys.readouterr().err


def test_ray_engine_needs_out_folder(corpus):
    from argparse import Namespace

    from inference import ray_engine

    args = Namespace(inputs=[str(corpus)], model=None, format=None, output=None, threshold=None, text_col=None,
                     id_col=None, per_line=False, engine="ray", address=None, out=None)
    with pytest.raises(SlantError, match="--out DIR"):
        ray_engine.run(args)
    with pytest.raises(SlantError, match="jsonl or parquet"):
        ray_engine.run(Namespace(**{**vars(args), "out": "x", "format": "html"}))


def test_ray_engine_passes_the_stance_model_on(ray_local, tiny_model, tiny_stance_model, tmp_path, capsys):
    """--stance-model reached only the local engine: the actors scored without it, so no targets."""
    corpus = tmp_path / "people.jsonl"
    corpus.write_text(json.dumps({"id": "p1", "text": "Critics called Vladimir Putin a pariah. Putin did not reply."})
                      + "\n", encoding="utf-8")
    flags = ["--model", str(tiny_model), "--stance-model", str(tiny_stance_model)]
    local = tmp_path / "local.jsonl"
    assert slant(["score", str(corpus), *flags, "--format", "jsonl", "-o", str(local)]) == 0
    want = [json.loads(line) for line in local.read_text(encoding="utf-8").splitlines()]
    assert any(r["targets"] for r in want)
    assert slant(["score", str(corpus), *flags, "--engine", "ray", "--out", str(tmp_path / "o")]) == 0
    got = _read_out(tmp_path / "o")
    strip = lambda ts: [{k: v for k, v in t.items() if k not in ("score", "polarity")} for t in ts]  # noqa: E731
    assert [strip(r["targets"]) for r in got] == [strip(r["targets"]) for r in want]
    capsys.readouterr()
    code = slant(["score", str(corpus), "--model", str(tiny_model), "--stance-model", str(tmp_path / "none"),
                  "--engine", "ray", "--out", str(tmp_path / "o2")])
    assert code == 2 and "stance model" in capsys.readouterr().err
