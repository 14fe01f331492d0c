"""``slant report`` end to end on a tiny trained model: bad rows, escaping, the cache, resuming, formats."""
import csv
import io
import json
import random
from html.parser import HTMLParser

import pytest

from inference import cli
from inference.report_corpus import open_corpus
from inference.scorer import Scorer
from models.errors import SlantError
from tests.conftest import LOADED, NEUTRAL_SUBJECTS, NEUTRAL_VERBS, TOPICS, synthetic_rows, tiny_overrides

EVIL = 'Officials said <script>console.error("xss")</script> the plan was <img src=x onerror="console.error(1)"> bold.'


def train_tiny_model(root):
    """A tiny random BERT trained for a few steps (token head included): seconds on a CPU."""
    from training.config import load_config
    from training.train import train

    root.mkdir(parents=True, exist_ok=True)
    data = root / "synthetic.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in synthetic_rows()) + "\n")
    return train(load_config(None, tiny_overrides(data, **{"train.max_steps": 3})), root / "run")


def article_text(rng: random.Random, loaded_share: float) -> str:
    sents = []
    for _ in range(rng.randint(3, 6)):
        subj, verb, topic = rng.choice(NEUTRAL_SUBJECTS), rng.choice(NEUTRAL_VERBS), rng.choice(TOPICS)
        if rng.random() < loaded_share:
            sents.append(f"{subj} {verb} {topic} in a {rng.choice(LOADED)} move.")
        else:
            sents.append(f"{subj} {verb} {topic} on Monday.")
    if rng.random() < 0.5:
        sents.append(f'"This is {rng.choice(LOADED)}," a spokesperson said.')
    return " ".join(sents)


def corpus_rows(n_per_outlet: int = 6, seed: int = 0) -> list[dict]:
    """Three outlets × n articles over three stories, one single-article outlet, one article holding markup."""
    rng = random.Random(seed)
    rows = []
    for outlet, share in (("Loud Daily", 0.7), ("Calm Times", 0.1), ("Middle Post", 0.4)):
        for i in range(n_per_outlet):
            rows.append({"id": f"{outlet[:4]}-{i}", "text": article_text(rng, share), "outlet": outlet,
                         "title": f"{outlet} story {i}", "story": f"story{i % 3}",
                         "url": f"https://example.org/{outlet[:4].lower()}/{i}", "date": "2024-01-02"})
    rows.append({"id": "evil-1", "text": EVIL, "outlet": "<b>Evil</b> & Co", "title": "<script>alert(1)</script>",
                 "story": "story0", "url": "javascript:alert(1)"})
    return rows


def parsed_tags(page: str) -> list[tuple[str, list]]:
    """Every start tag of an HTML page with its attributes, as a browser's parser sees them."""
    found = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, attrs))

    Collect().feed(page)
    return found


def write_jsonl(path, rows, extra_lines=()):
    lines = [json.dumps(r) for r in rows] + list(extra_lines)
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return train_tiny_model(tmp_path_factory.mktemp("report_model"))


@pytest.fixture
def calls(monkeypatch):
    """Counts Scorer.score calls (the only way report scoring reaches the model)."""
    counter = {"n": 0, "fail_at": None}
    real = Scorer.score

    def counting(self, text, doc="-", **kw):
        counter["n"] += 1
        if counter["fail_at"] == counter["n"]:
            raise KeyboardInterrupt
        return real(self, text, doc=doc, **kw)

    monkeypatch.setattr(Scorer, "score", counting)
    return counter


def run(*argv) -> int:
    return cli.main(["report", *map(str, argv)])


def test_html_report_escapes_marks_bad_rows_and_rerun_hits_the_cache(tmp_path, model, calls, capsys):
    rows = corpus_rows()
    dup = dict(rows[0], text="A different text under a reused id.")
    corpus = write_jsonl(tmp_path / "corpus.jsonl", rows, ['{"id": "broken", "text": ', json.dumps(dup)])
    out = tmp_path / "out" / "report.html"
    assert run(corpus, "--by", "outlet", "--story", "story", "-o", out, "--model", model, "--bootstrap", 200) == 0
    err = capsys.readouterr().err
    assert f"corpus.jsonl:{len(rows) + 1}: not valid JSON" in err
    assert f"corpus.jsonl:{len(rows) + 2}: duplicated id 'Loud-0' (first at " in err and "corpus.jsonl:1)" in err
    assert "'<b>Evil</b> & Co': a single article, so no confidence interval" in err
    assert "Traceback" not in err
    assert calls["n"] == len(rows)

    page = out.read_text()
    tags = parsed_tags(page)  # the corpus's <script> and onerror= must stay text, never markup
    assert "script" not in {tag for tag, _ in tags} and not any(name.startswith("on") for _, attrs in tags for name, _ in attrs)
    assert "&lt;" in page and "&lt;b&gt;Evil&lt;/b&gt; &amp; Co" in page
    assert "javascript:" not in page and 'href="https://example.org/loud/' in page
    assert "Content-Security-Policy" in page and "http-equiv" in page
    for ident in ("group-table", "chart-rates", "chart-per-words", "chart-distribution", "pairwise-table",
                  "same-story-table", "chart-topics"):
        assert f'id="{ident}"' in page, ident
    assert "CI n/a" in page and "95% CI" in page
    assert "<mark" in page or "no span head" in page
    assert (out.parent / "slant-cache.sqlite").is_file()

    # A rerun and a regrouping (by story, another output in the same folder) score nothing again.
    calls["n"] = 0
    assert run(corpus, "-o", out, "--model", model, "--bootstrap", 50) == 0
    assert run(corpus, "--by", "story", "-o", out.parent / "by_story.md", "--model", model, "--bootstrap", 50) == 0
    assert calls["n"] == 0
    assert "from the cache" in capsys.readouterr().err
    md = (out.parent / "by_story.md").read_text()
    assert "| story0 |" in md and "<script" not in md


def test_interrupted_scoring_resumes_where_it_stopped(tmp_path, model, calls, capsys):
    rows = corpus_rows(n_per_outlet=4)
    corpus = write_jsonl(tmp_path / "c.jsonl", rows)
    calls["fail_at"] = 5
    assert run(corpus, "-o", tmp_path / "r.json", "--model", model, "--bootstrap", 0) == 130
    err = capsys.readouterr().err
    assert "interrupted after 4 articles" in err and "run the same command again to resume" in err
    calls.update(n=0, fail_at=None)
    assert run(corpus, "-o", tmp_path / "r.json", "--model", model, "--bootstrap", 0) == 0
    assert calls["n"] == len(rows) - 4
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["meta"]["from_cache"] == 4 and data["meta"]["scored"] == len(rows) - 4
    assert sum(g["articles"] for g in data["groups"]) == len(rows)


def test_ctrl_c_while_the_report_is_written_leaves_no_tmp_file(tmp_path, model, monkeypatch, capsys):
    from inference import report_cli

    corpus = write_jsonl(tmp_path / "c.jsonl", corpus_rows(n_per_outlet=2))

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(report_cli.os, "replace", interrupted)
    assert run(corpus, "-o", tmp_path / "r.md", "--model", model, "--bootstrap", 0) == 130
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.jsonl", "slant-cache.sqlite"]


def test_csv_corpus_and_csv_output(tmp_path, model, capsys):
    rows = corpus_rows(n_per_outlet=3)
    path = tmp_path / "c.csv"
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, ["id", "text", "outlet", "title", "story", "url", "date"])
        w.writeheader()
        w.writerows(rows)
        f.write('x1,"one, two",Loud Daily,t,story1,u,d,EXTRA\n')
    out = tmp_path / "numbers.csv"
    assert run(path, "--story", "story", "-o", out, "--model", model, "--bootstrap", 100) == 0
    assert f"c.csv:{len(rows) + 2}: 8 fields, the header has 7; row skipped" in capsys.readouterr().err
    table = list(csv.DictReader(io.StringIO(out.read_text())))
    sections = {r["section"] for r in table}
    assert {"group", "pairwise", "same_story", "topic"} <= sections <= {"group", "pairwise", "same_story", "topic", "stance"}
    single = [r for r in table if r["group"] == "<b>Evil</b> & Co" and r["metric"] == "author_rate"]
    assert single and single[0]["ci_low"] == "" and single[0]["value"] != ""
    pairs = [r for r in table if r["section"] == "pairwise"]
    assert len(pairs) == 6 and all(r["p_holm"] == "" or 0 <= float(r["p_holm"]) <= 1 for r in pairs)


def outlet_folders(root, rng: random.Random, per_outlet: int) -> None:
    """``root/alpha`` and ``root/beta``, each with ``per_outlet`` text articles."""
    for outlet in ("alpha", "beta"):
        (root / outlet).mkdir(parents=True)
        for i in range(per_outlet):
            (root / outlet / f"a{i}.txt").write_text(article_text(rng, 0.5))


def test_folder_of_outlet_subfolders(tmp_path, model, capsys):
    root = tmp_path / "news"
    rng = random.Random(1)
    outlet_folders(root, rng, 3)
    (root / "beta" / "page.html").write_text("<html><body><article><p>" + article_text(rng, 0.5)
                                             + " " + article_text(rng, 0.5) + "</p></article></body></html>")
    (root / "stray.txt").write_text(article_text(rng, 0.5))
    out = tmp_path / "r.md"
    assert run(root, "-o", out, "--model", model, "--bootstrap", 50) == 0
    assert "stray.txt: not inside an outlet sub-folder" in capsys.readouterr().err
    md = out.read_text()
    assert "| alpha | 3 |" in md and "| beta | 4 |" in md


def test_a_long_folder_article_is_joined_from_its_chunks(tmp_path, monkeypatch, small_chunks):
    """A file over the streaming threshold arrives in chunks; the report scores it as one article."""
    import inference.report_corpus as report_corpus

    text = "".join(f"The council met on day {i} and the critics called it a disgrace.\n\n" for i in range(80))
    (tmp_path / "news" / "alpha").mkdir(parents=True)
    (tmp_path / "news" / "alpha" / "long.txt").write_text(text, encoding="utf-8")
    warnings = []
    (article,) = list(open_corpus(tmp_path / "news", warn=warnings.append))
    assert article.text == text and article.group == "alpha" and not warnings
    monkeypatch.setattr(report_corpus, "ARTICLE_MAX_CHARS", 3_000)
    (article,) = list(open_corpus(tmp_path / "news", warn=warnings.append))
    assert len(article.text) <= 3_000 and text.startswith(article.text)
    assert "longer than" in warnings[0] and "were scored as one article" in warnings[0]


def test_report_written_inside_the_corpus_is_not_read_back(tmp_path, model, capsys):
    root = tmp_path / "news"
    outlet_folders(root, random.Random(2), 2)
    out = root / "alpha" / "report.html"
    for _ in range(2):  # the second run finds the first run's report.html among alpha's files
        assert run(root, "-o", out, "--model", model, "--bootstrap", 0) == 0
        assert ": 4 articles in 2 groups" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["--by", "publisher"], "no column 'publisher' to group by (columns: 'id', 'text', 'outlet'"),
    (["--story", "event"], "no column 'event' with stories"),
    (["--on-bad-row", "fail"], ":3: empty 'outlet' (the group column) — fill it in or remove the row (or pass "
                              "--on-bad-row skip to skip such rows)"),
    (["--format", "html", "-o", "OUTDIR"], "is a folder"),
])
def test_bad_input_is_one_clear_line(tmp_path, model, capsys, argv, message):
    rows = [{"id": "1", "text": "The council met on Monday.", "outlet": "a"},
            {"id": "2", "text": "Officials held a hearing.", "outlet": "b"},
            {"id": "3", "text": "The court met.", "outlet": ""}]
    corpus = write_jsonl(tmp_path / "c.jsonl", rows)
    argv = [str(tmp_path) if a == "OUTDIR" else a for a in argv]
    out = [] if "-o" in argv else ["-o", tmp_path / "r.html"]
    assert run(corpus, *out, "--model", model, *argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_corpus_reader_problems_without_a_model(tmp_path):
    warnings = []
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    with pytest.raises(SlantError, match="no rows to read"):
        list(open_corpus(empty))
    only_bad = write_jsonl(tmp_path / "bad.jsonl", [], ["[1, 2]", "nope"])
    with pytest.raises(SlantError, match="no rows to read"):
        list(open_corpus(only_bad, warn=warnings.append))
    assert [w.split(": ", 1)[1][:20] for w in warnings] == ["expected a JSON obje", "not valid JSON (Expe"]
    (tmp_path / "x.txt").write_text("text")
    with pytest.raises(SlantError, match="not a .jsonl, .csv or .json corpus"):
        open_corpus(tmp_path / "x.txt")
    with pytest.raises(SlantError, match="no such file"):
        open_corpus(tmp_path / "missing.jsonl")
    corpus = open_corpus(write_jsonl(tmp_path / "ok.jsonl", [{"text": "A.", "outlet": "x"}, {"text": "B.", "outlet": "y"}]))
    arts = list(corpus)
    assert [a.id for a in arts] == ["ok.jsonl:1", "ok.jsonl:2"] and corpus.count() == 2


def test_headings_use_plurals_and_markdown_keeps_quotes():
    from inference.report_text import _md, plural

    assert [plural(n) for n in ("story", "topic", "leaning", "day", "press")] == \
        ["stories", "topics", "leanings", "days", "presses"]  # "shared storys" before
    assert _md("'high-tech lynching' <b> | x") == "'high-tech lynching' &lt;b&gt; \\| x"  # quotes read &#x27; before


def test_a_json_corpus_reports_like_its_jsonl(tmp_path):
    """`slant score` reads a .json list of objects; `slant report` refused it."""
    rows = [{"id": "a1", "text": "The council met.", "outlet": "x", "topic": "t"},
            {"id": "a2", "text": "They are thugs.", "outlet": "y", "topic": "t"}]
    (tmp_path / "c.json").write_text(json.dumps(rows))
    corpus = open_corpus(tmp_path / "c.json", story="topic")
    corpus.check()
    assert corpus.count() == 2
    assert [(a.id, a.group, a.story, a.where) for a in corpus] == [("a1", "x", "t", f"{tmp_path / 'c.json'}:1"),
                                                                  ("a2", "y", "t", f"{tmp_path / 'c.json'}:2")]
    (tmp_path / "bad.json").write_text('{"rows": [1, 2]}')
    with pytest.raises(SlantError, match="no column 'text'"):
        open_corpus(tmp_path / "bad.json").check()
    (tmp_path / "worse.json").write_text('[1, 2]')
    with pytest.raises(SlantError, match="expected a list of JSON objects"):
        open_corpus(tmp_path / "worse.json").check()
