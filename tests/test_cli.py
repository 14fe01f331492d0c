"""The ``slant`` command: good input gets output, bad input one line and a non-zero exit, never a traceback."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

from inference.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def test_score_files_folders_and_formats(tiny_model, tmp_path, capsys):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("The council met on Monday. They are disgraceful thugs.\n")
    (tmp_path / "docs" / "b.html").write_text("<html><body><nav>Home | About</nav><article><p>"
                                              + "The court heard the case on Tuesday and adjourned. " * 5
                                              + "</p></article><script>var x=1;</script></body></html>")
    code, out, err = run(capsys, "score", str(tmp_path / "docs"), "--model", str(tiny_model), "--format", "jsonl")
    assert code == 0, err
    recs = [json.loads(line) for line in out.splitlines()]
    assert {r["doc"].rsplit("/", 1)[-1] for r in recs} == {"a.txt", "b.html"}
    assert not any("var x" in r["text"] or "About" in r["text"] for r in recs)


def test_scored_jsonl_loads_back_as_training_data(tiny_model, tmp_path, capsys):
    from training.data import load_source

    (tmp_path / "a.txt").write_text("The council met on Monday. They are disgraceful thugs.\n\nA new paragraph here.\n")
    out = tmp_path / "scored.jsonl"
    code, _, err = run(capsys, "score", str(tmp_path / "a.txt"), "--model", str(tiny_model), "--format", "jsonl",
                       "-o", str(out), "--no-targets")
    assert code == 0, err
    recs = [json.loads(line) for line in out.read_text().splitlines()]
    ds = load_source(str(out), None)
    assert ds["text"] == [r["text"] for r in recs] and len(set(ds["group"])) == 1
    assert ds["label"] == [int(r["label"] == "framing") for r in recs]
    for text, spans, rec in zip(ds["text"], ds["spans"], recs):
        assert [text[sp["start"]:sp["end"]] for sp in spans] == [sp["text"] for sp in rec["spans"]]


def test_per_line_and_corpus_columns(tiny_model, tmp_path, capsys):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(json.dumps({"key": "x1", "body": "First one. Second one."}) + "\n")
    code, out, _ = run(capsys, "score", str(corpus), "--model", str(tiny_model), "--text-col", "body",
                       "--id-col", "key", "--format", "jsonl")
    assert code == 0 and {json.loads(l)["doc"] for l in out.splitlines()} == {"x1"}
    lines = tmp_path / "l.txt"
    lines.write_text("One sentence. Still the same line.\nAnother line\n")
    code, out, _ = run(capsys, "score", str(lines), "--model", str(tiny_model), "--per-line", "--format", "jsonl")
    assert [json.loads(l)["text"] for l in out.splitlines()] == ["One sentence. Still the same line.", "Another line"]
    # offsets index the file, as in segmented output (they were 0 for every line), past blank and padded lines
    raw = "Headline: a disgraceful plan\r\n\r\n  Putin's regime shells Kyiv  \r\nMarkets rise\r\n"
    lines.write_bytes(raw.encode())
    code, out, _ = run(capsys, "score", str(lines), "--model", str(tiny_model), "--per-line", "--format", "jsonl")
    recs = [json.loads(l) for l in out.splitlines()]
    assert [r["text"] for r in recs] == ["Headline: a disgraceful plan", "Putin's regime shells Kyiv", "Markets rise"]
    assert all(raw[r["start"]:r["end"]] == r["text"] for r in recs)
    assert all(raw[x["start"]:x["end"]] == x["text"] for r in recs for x in r["spans"] + r["targets"])


def test_outputs_never_overwrite_inputs_or_fail_with_a_traceback(tiny_model, tmp_path, capsys):
    article = tmp_path / "docs" / "a.txt"
    article.parent.mkdir()
    article.write_text("The council met on Monday. They are disgraceful thugs.\n")
    before = article.read_text()
    keep = tmp_path / "keep.jsonl"
    keep.write_text('{"precious": 1}\n')
    for argv, says in [(["-o", str(article)], "is also an input"),  # was truncated, then called empty
                       (["-o", str(article), "--format", "md"], "is also an input"),
                       (["--stance-model", str(tmp_path / "nowhere"), "-o", str(keep)], "no such directory"),
                       (["--stance-model", str(tiny_model), "-o", str(keep)], "no stance head"),
                       (["-o", str(tmp_path / "no" / "dir" / "out.jsonl")], "cannot write"),
                       (["--out", str(tmp_path / "o")], "only for --engine ray")]:
        code, _, err = run(capsys, "score", str(article), "--model", str(tiny_model), *argv)
        errors = [line for line in err.splitlines() if line.startswith("slant: error")]
        assert code == 2 and len(errors) == 1 and says in errors[0], (argv, err)
    code, _, err = run(capsys, "score", str(article.parent), "--model", str(tiny_model), "-o", str(article))
    assert code == 2 and "inside the input folder" in err
    assert article.read_text() == before and keep.read_text() == '{"precious": 1}\n'
    # an output inside an input folder is fine (the walk leaves it out), and so is writing it again
    inside = article.parent / "scores.jsonl"
    for _ in range(2):
        code, _, err = run(capsys, "score", str(article.parent), "--model", str(tiny_model), "-o", str(inside),
                           "--no-targets")
        assert code == 0 and inside.read_text(), err
    code, _, err = run(capsys, "report", str(tmp_path), "--model", str(tiny_model), "-o", str(article), "--format", "md")
    assert code == 2 and "inside the input folder" in err and article.read_text() == before


def test_writing_turns_a_failed_write_into_one_line():
    import errno

    import pytest

    from inference.score_cli import writing
    from models.errors import SlantError

    with pytest.raises(SlantError, match=r"-o out.jsonl: cannot write it \(No space left on device\)"):
        with writing("out.jsonl"):
            raise OSError(errno.ENOSPC, "No space left on device")
    with pytest.raises(BrokenPipeError):  # `slant score … | head` still ends quietly in the CLI
        with writing(None):
            raise BrokenPipeError(errno.EPIPE, "Broken pipe")


def test_bad_inputs_are_reported_and_good_files_still_scored(tiny_model, tmp_path, capsys):
    good = tmp_path / "good.txt"
    good.write_text("The council met on Monday.")
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    binary = tmp_path / "blob.txt"
    binary.write_bytes(b"\x00\x01\x02PK\x03\x04" * 100)
    out_file = tmp_path / "out.jsonl"
    code, _, err = run(capsys, "score", str(good), str(empty), str(binary), str(tmp_path / "missing.txt"),
                       "--model", str(tiny_model), "-o", str(out_file))
    assert code == 1
    assert "empty" in err and "binary" in err and "missing.txt" in err
    assert all(line.startswith("slant: ") for line in err.strip().splitlines())
    assert json.loads(out_file.read_text().splitlines()[0])["doc"].endswith("good.txt")


def test_broken_model_folders_get_one_line(tiny_model, tmp_path, capsys):
    partial = tmp_path / "partial"
    shutil.copytree(tiny_model, partial)
    (partial / "model.safetensors").unlink()
    code, _, err = run(capsys, "score", "-", "--model", str(partial))
    assert code == 2 and "missing model.safetensors" in err and len(err.strip().splitlines()) == 1
    corrupt = tmp_path / "corrupt"
    shutil.copytree(tiny_model, corrupt)
    (corrupt / "model.safetensors").write_bytes(b"not a safetensors file at all")
    code, _, err = run(capsys, "score", "-", "--model", str(corrupt))
    assert code == 2 and "corrupt" in err
    code, _, err = run(capsys, "score", "-", "--model", str(tmp_path / "nope"))
    assert code == 2 and "no such directory" in err


def test_train_and_evaluate_errors_are_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("train:\n  lrr: 1\n")
    code, _, err = run(capsys, "train", str(bad))
    assert code == 2 and "did you mean 'train.lr'" in err
    code, _, err = run(capsys, "train", str(bad), "--out", str(tmp_path / "r"), "--resume")
    assert code == 2
    code, _, err = run(capsys, "train", str(Path(__file__).parents[1] / "configs" / "default.yaml"), "--out", str(tmp_path / "r"), "--resume")
    assert code == 2 and "no checkpoint" in err  # 130 is kept for Ctrl-C
    code, _, err = run(capsys, "evaluate", str(tmp_path / "no_model"))
    assert code == 2 and "no such directory" in err


def test_print_config_shows_the_resolved_config_and_trains_nothing(tmp_path, capsys):
    import yaml

    default = str(Path(__file__).parents[1] / "configs" / "default.yaml")
    code, out, err = run(capsys, "train", default, "--print-config", "--train.lr", "3e-4", "--out", str(tmp_path / "r"))
    assert code == 0, err
    cfg = yaml.safe_load(out)
    assert cfg["train"]["lr"] == 3e-4 and cfg["model"]["base"] == "all-MiniLM-L6-v2" and "data" in cfg
    lines = out.splitlines()  # each key's documentation is a comment above it
    assert lines[lines.index("  base: all-MiniLM-L6-v2") - 1].startswith("  # Base encoder name")
    assert sum(line.lstrip().startswith("# ") for line in lines) > 60
    assert not (tmp_path / "r").exists()
    code, _, err = run(capsys, "train", default, "--print-config", "--train.lrr", "3")
    assert code == 2 and "did you mean 'train.lr'" in err


def test_train_then_evaluate_from_the_command_line(tmp_path, synthetic_jsonl, capsys):
    from tests.conftest import tiny_overrides

    synthetic_jsonl = Path(shutil.copy(synthetic_jsonl, tmp_path / "my_data.jsonl"))  # a "_" in the path
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text("model:\n  base: tiny-random-bert\n")
    flags = [f"--{o.split('=')[0]}={o.split('=', 1)[1]}" for o in tiny_overrides(synthetic_jsonl, **{"train.max_steps": 4})]
    code, out, err = run(capsys, "train", str(cfg), "--out", str(tmp_path / "run"), *flags)
    assert code == 0, err
    code, out, err = run(capsys, "evaluate", str(tmp_path / "run" / "best"))
    assert code == 0, err
    assert "macro-F1" in out or "macro_f1" in out
    saved = json.loads((tmp_path / "run" / "best" / "evaluation.json").read_text())
    assert "tfidf_logreg" in saved["metrics"]["test"][str(synthetic_jsonl)]["baselines"]
    assert "evaluating" in err  # progress on stderr: a saved run's evaluation takes minutes
    # dotted flags rebuild the split (the data moved: --data.root); they were refused as 'expected key=value'
    code, _, err = run(capsys, "evaluate", str(tmp_path / "run" / "best"), "--train.seed", "13",
                       "--out", str(tmp_path / "e.json"))
    assert code == 0, err
    # a model card names a user's file once, as tested, even with '_' in its path
    card = json.loads((tmp_path / "run" / "best" / "meta.json").read_text())["data"]
    assert [d.get("train_only", False) for d in card if d["source"] == str(synthetic_jsonl)] == [False]
    for argv, says in [(["--out", str(tmp_path / "no" / "dir" / "e.json")], "no folder"),  # after the whole evaluation
                       (["--data", "babe"], "--data takes a labelled .csv/.jsonl file"),
                       (["--data", str(synthetic_jsonl), "--train.seed", "7"], "drop them")]:
        code, _, err = run(capsys, "evaluate", str(tmp_path / "run" / "best"), *argv)
        assert code == 2 and says in err, (argv, err)
    # a finished run is not resumed (--resume trained it on, or rewrote best/); an unwritable --out is one line
    code, _, err = run(capsys, "train", str(cfg), "--out", str(tmp_path / "run"), "--resume", *flags)
    assert code == 2 and "is finished" in err, err
    code, _, err = run(capsys, "train", str(cfg), "--out", str(synthetic_jsonl / "run"), *flags)
    assert code == 2 and "cannot write the run folder" in err, err


def test_console_script_runs_without_traceback(tmp_path):
    exe = shutil.which("slant") or str((__import__("pathlib").Path(sys.executable).parent / "slant"))
    proc = subprocess.run([exe, "score", str(tmp_path / "nothing.txt"), "--model", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr and proc.stderr.startswith("slant: error")


def test_console_score_exits_fast_with_all_output_written(tiny_model, tmp_path):
    """``slant score`` ends with os._exit: every record must still reach stdout and -o files."""
    exe = shutil.which("slant") or str((__import__("pathlib").Path(sys.executable).parent / "slant"))
    doc = tmp_path / "a.txt"
    doc.write_text("The council met on Monday. " * 400)
    base = [exe, "score", str(doc), "--model", str(tiny_model), "--format", "jsonl", "--no-targets"]
    proc = subprocess.run(base, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == 400 and json.loads(proc.stdout.splitlines()[-1])["index"] == 399
    proc = subprocess.run([*base, "-o", str(tmp_path / "out.jsonl")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and len((tmp_path / "out.jsonl").read_text().splitlines()) == 400
    proc = subprocess.run([exe, "score", str(tmp_path / "missing.txt"), "--model", str(tiny_model), "--no-targets"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "missing.txt: no such file" in proc.stderr and "Traceback" not in proc.stderr


def test_score_jsonl_carries_targets_and_no_targets_drops_them(tiny_stance_model, tmp_path, capsys):
    doc = tmp_path / "a.txt"
    doc.write_text("Critics called Vladimir Putin a pariah on Monday. Putin did not reply.\n")
    code, out, err = run(capsys, "score", str(doc), "--model", str(tiny_stance_model), "--format", "jsonl")
    assert code == 0, err
    recs = [json.loads(line) for line in out.splitlines()]
    targets = [t for r in recs for t in r["targets"]]
    assert {t["entity"] for t in targets} == {"Vladimir Putin"}
    assert set(targets[0]) == {"start", "end", "text", "entity", "type", "stance", "score", "polarity", "voice"}
    code, out, err = run(capsys, "score", str(doc), "--model", str(tiny_stance_model), "--format", "jsonl", "--no-targets")
    assert code == 0 and all(json.loads(line)["targets"] == [] for line in out.splitlines())
    code, out, err = run(capsys, "score", str(doc), "--model", str(tiny_stance_model), "--format", "md")
    assert "Main targets (author's stance): Vladimir Putin" in out


def test_a_model_every_input_needs_stops_the_run_at_the_first_failure(tiny_stance_model, tmp_path, capsys,
                                                                       monkeypatch):
    """The NER package missing failed each input in turn, after its framing pass (40 lines for 40)."""
    import inference.scorer
    from models.errors import ModelUnavailable

    def no_ner(texts):
        raise ModelUnavailable("targets need the offline NER model: pip install … (or score with --no-targets)")

    monkeypatch.setattr(inference.scorer, "article_targets", no_ner)
    monkeypatch.setattr("inference.ner_process.start", lambda: None)
    docs = []
    for i in range(3):
        docs.append(tmp_path / f"a{i}.txt")
        docs[-1].write_text("Critics called Vladimir Putin a pariah on Monday.\n")
    code, _, err = run(capsys, "score", *map(str, docs), "--model", str(tiny_stance_model), "-o", str(tmp_path / "o.jsonl"))
    assert code == 2 and err.count("offline NER model") == 1, err
    rows = [{"id": str(i), "text": "Critics called Vladimir Putin a pariah.", "outlet": "ab"[i % 2]} for i in range(4)]
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows))
    code, _, err = run(capsys, "report", str(corpus), "--model", str(tiny_stance_model), "-o", str(tmp_path / "r.md"))
    assert code == 2 and err.count("offline NER model") == 1 and "skipped" not in err, err
