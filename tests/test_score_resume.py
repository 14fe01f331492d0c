"""``slant score -o FILE --resume``: an interrupted run continues to the file an uninterrupted run writes."""
import json

import pytest

import inference.score_cli as score_cli
from inference.cli import main

TEXTS = ["The council met on Monday. They are disgraceful thugs.", "The court adjourned.\n\nA pariah regime.",
         "Officials said the vote is next week.", "The senator slammed the radical plan.", "Rain is expected."]


def _corpus(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    for i, t in enumerate(TEXTS):
        (folder / f"{i}.txt").write_text(t + "\n", encoding="utf-8")
    return folder


def _score(model, inputs, out, *options):
    """``slant score INPUTS --model MODEL -o OUT [options]``; the exit code."""
    return main(["score", str(inputs), "--model", str(model), "-o", str(out), *options])


def _interrupt_at(monkeypatch, n):
    """Ctrl-C while scoring the n-th document (from 1)."""
    real, calls = score_cli.score_document, []

    def scoring(scorer, doc):
        calls.append(doc.doc_id)
        if len(calls) == n:
            raise KeyboardInterrupt
        return real(scorer, doc)
    monkeypatch.setattr(score_cli, "score_document", scoring)
    return calls


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "md"])
def test_interrupted_run_resumes_to_the_same_file(tiny_model, tmp_path, capsys, monkeypatch, fmt):
    docs = _corpus(tmp_path)
    whole, part = tmp_path / f"whole.{fmt}", tmp_path / f"part.{fmt}"
    assert _score(tiny_model, docs, whole) == 0
    capsys.readouterr()

    calls = _interrupt_at(monkeypatch, 3)
    assert _score(tiny_model, docs, part) == 130
    err = capsys.readouterr().err
    assert "Traceback" not in err and "2 inputs are in" in err and "--resume" in err
    progress = tmp_path / f"part.{fmt}.slant-progress.json"
    assert json.loads(progress.read_text())["items"] == 2
    with open(part, "a", encoding="utf-8") as f:  # a half-written article, as a kill mid-write leaves
        f.write('{"doc": "half')

    calls.clear()
    monkeypatch.undo()
    calls = _interrupt_at(monkeypatch, 99)
    assert _score(tiny_model, docs, part, "--resume") == 0
    assert [c.rsplit("/", 1)[-1] for c in calls] == ["2.txt", "3.txt", "4.txt"]  # the first two are not rescored
    assert part.read_bytes() == whole.read_bytes()
    assert not progress.exists()


def test_resume_refuses_what_it_cannot_continue(tiny_model, tmp_path, capsys, monkeypatch):
    docs = _corpus(tmp_path)
    out = tmp_path / "o.jsonl"
    _interrupt_at(monkeypatch, 2)
    assert _score(tiny_model, docs, out) == 130
    monkeypatch.undo()
    capsys.readouterr()
    cases = [
        (["score", str(docs / "0.txt"), "-o", str(out), "--resume"], "other inputs or options"),
        (["score", str(docs), "-o", str(out), "--resume", "--threshold", "0.9"], "other inputs or options"),
        (["score", str(docs), "-o", str(tmp_path / "o.json"), "--resume"], "jsonl, csv or md"),
        (["score", str(docs), "--resume"], "-o FILE"),
        (["score", str(docs), "-o", "/dev/null", "--resume"], "a regular file"),
    ]
    for argv, message in cases:
        assert main(argv[:2] + ["--model", str(tiny_model)] + argv[2:]) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    (docs / "5.txt").write_text("A new article in the folder.\n", encoding="utf-8")
    assert _score(tiny_model, docs, out, "--resume") == 2
    assert "other inputs or options" in capsys.readouterr().err
    done = tmp_path / "done.jsonl"
    assert _score(tiny_model, docs, done) == 0
    assert _score(tiny_model, docs, done, "--resume") == 2
    assert "nothing to resume" in capsys.readouterr().err


def test_resume_without_a_previous_run_starts_one(tiny_model, tmp_path, capsys):
    docs = _corpus(tmp_path)
    out = tmp_path / "new.jsonl"
    assert _score(tiny_model, docs, out, "--resume") == 0
    assert len({json.loads(line)["doc"] for line in out.read_text().splitlines()}) == 5


def test_output_inside_the_input_folder_is_not_read_back(tiny_model, tmp_path, capsys, monkeypatch):
    docs = _corpus(tmp_path)
    out = docs / "scores.jsonl"
    _interrupt_at(monkeypatch, 3)
    assert _score(tiny_model, docs, out) == 130
    monkeypatch.undo()
    assert _score(tiny_model, docs, out, "--resume") == 0
    docs_scored = [json.loads(line)["doc"].rsplit("/", 1)[-1] for line in out.read_text().splitlines()]
    assert sorted(set(docs_scored)) == [f"{i}.txt" for i in range(5)]


def test_ctrl_c_in_the_middle_of_writing_an_article_loses_nothing(tiny_model, tmp_path, capsys, monkeypatch):
    """Ctrl-C while an article's records are half written: the progress file points before them,
    and a second Ctrl-C while resuming (before any new article) keeps the count."""
    from inference import formats

    docs = _corpus(tmp_path)
    whole, part = tmp_path / "whole.jsonl", tmp_path / "part.jsonl"
    assert _score(tiny_model, docs, whole) == 0
    real_write, calls = formats.JsonlWriter.write, []

    def half_then_ctrl_c(self, article, summary):
        calls.append(article.doc)
        if len(calls) == 3:
            self.out.write('{"doc": "cut mid-record')
            raise KeyboardInterrupt
        real_write(self, article, summary)
    monkeypatch.setattr(formats.JsonlWriter, "write", half_then_ctrl_c)
    assert _score(tiny_model, docs, part) == 130
    progress = tmp_path / "part.jsonl.slant-progress.json"
    assert json.loads(progress.read_text())["items"] == 2
    monkeypatch.undo()

    _interrupt_at(monkeypatch, 1)  # Ctrl-C at the first article the resumed run scores
    assert _score(tiny_model, docs, part, "--resume") == 130
    assert json.loads(progress.read_text())["items"] == 2
    monkeypatch.undo()
    assert _score(tiny_model, docs, part, "--resume") == 0
    assert part.read_bytes() == whole.read_bytes()
    capsys.readouterr()


def test_output_to_a_device_is_written_without_a_progress_file(tiny_model, tmp_path, capsys):
    docs = _corpus(tmp_path)
    assert _score(tiny_model, docs, "/dev/null") == 0
    assert "Traceback" not in capsys.readouterr().err
    assert not list(tmp_path.rglob("*.slant-progress.json"))


def test_a_streamed_file_numbers_on_across_chunks_and_a_resume(tiny_model, tmp_path, capsys, monkeypatch, small_chunks):
    """A file over HUGE_BYTES is scored in chunks; sentence and paragraph numbers run on across
    them (they restarted at 0 in every chunk), and an interrupted run resumes the numbering."""
    paragraphs = [f"The council met on day {i}. They are disgraceful thugs, said critic number {i}." for i in range(60)]
    big = tmp_path / "big.txt"
    big.write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
    whole, part = tmp_path / "whole.jsonl", tmp_path / "part.jsonl"
    assert _score(tiny_model, big, whole, "--no-targets") == 0
    recs = [json.loads(line) for line in whole.read_text().splitlines()]
    text = big.read_text(encoding="utf-8")
    assert len({r["start"] for r in recs if r["start"] > 0}) > 0 and all(text[r["start"]:r["end"]] == r["text"] for r in recs)
    assert [r["index"] for r in recs] == list(range(len(recs)))
    assert [r["paragraph"] for r in recs] == [text[:r["start"]].count("\n\n") for r in recs]
    assert recs[-1]["paragraph"] == 59

    with monkeypatch.context() as interrupted:  # the small chunks stay; only the interruption is undone
        _interrupt_at(interrupted, 4)  # the fourth chunk
        assert _score(tiny_model, big, part, "--no-targets") == 130
    assert _score(tiny_model, big, part, "--no-targets", "--resume") == 0
    assert part.read_bytes() == whole.read_bytes()


def test_a_streamed_file_s_later_chunks_are_headed_as_continued_in_the_views(tiny_model, tmp_path, capsys, small_chunks):
    """In md/html/terminal each chunk of a file over HUGE_BYTES got the file's heading and a summary
    as if the article began anew; the JSONL's doc ids stay the file's."""
    big = tmp_path / "big.txt"
    big.write_text("\n\n".join(f"The council met on day {i}. They are thugs." for i in range(60)) + "\n")
    md = tmp_path / "out.md"
    assert _score(tiny_model, big, md, "--no-targets") == 0
    headings = [line for line in md.read_text().splitlines() if line.startswith("## ")]
    assert len(headings) > 1 and "continued" not in headings[0]
    assert all("(continued from character " in h and "summary below is of this part" in h for h in headings[1:])
    jl = tmp_path / "out.jsonl"
    assert _score(tiny_model, big, jl, "--no-targets") == 0
    assert {json.loads(line)["doc"] for line in jl.read_text().splitlines()} == {str(big)}


def test_sigterm_ends_a_run_as_ctrl_c_does_and_it_resumes(tiny_model, tmp_path, capsys, monkeypatch):
    """A scheduler's SIGTERM (or `timeout`) had ended `slant score` on the spot, silently, with code 143."""
    import os
    import signal

    docs = _corpus(tmp_path)
    whole, part = tmp_path / "whole.jsonl", tmp_path / "part.jsonl"
    assert _score(tiny_model, docs, whole) == 0
    real, calls = score_cli.score_document, []

    def scoring(scorer, doc):
        calls.append(doc.doc_id)
        if len(calls) == 3:
            os.kill(os.getpid(), signal.SIGTERM)
        return real(scorer, doc)

    monkeypatch.setattr(score_cli, "score_document", scoring)
    handler = signal.getsignal(signal.SIGTERM)
    capsys.readouterr()
    assert _score(tiny_model, docs, part) == 130
    assert signal.getsignal(signal.SIGTERM) is handler
    err = capsys.readouterr().err
    assert "Traceback" not in err and "--resume" in err
    monkeypatch.undo()
    assert _score(tiny_model, docs, part, "--resume") == 0
    assert part.read_bytes() == whole.read_bytes()


def test_resume_refuses_a_model_retrained_in_place(tiny_model, tmp_path, capsys, monkeypatch):
    """Same folder, other weights (a retrain written over it): the rest would be scored by another
    model than the first part, so the run is refused as for another folder."""
    import shutil

    from safetensors.torch import load_file, save_file

    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    docs, out = _corpus(tmp_path), tmp_path / "o.jsonl"
    _interrupt_at(monkeypatch, 2)
    assert _score(model, docs, out) == 130
    monkeypatch.undo()
    weights = load_file(model / "model.safetensors")
    save_file({k: v + 0.01 if v.is_floating_point() else v for k, v in weights.items()}, model / "model.safetensors")
    capsys.readouterr()
    assert _score(model, docs, out, "--resume") == 2
    assert "other inputs or options" in capsys.readouterr().err
