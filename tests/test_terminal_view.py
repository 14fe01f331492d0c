"""The terminal view prints file names, sentences and entity names as written, never as rich markup."""
import io
import re

from rich.console import Console

from inference.records import ArticleScore, SentenceScore, Span, Target
from inference.summary import summarize
from inference.terminal import TerminalWriter


def _render(doc: str, text: str, entity: str) -> str:
    target = Target(start=0, end=len(entity), text=entity, entity=entity, type="PERSON", stance="negative",
                    score=0.9, polarity=-0.8, voice="author")
    a = text.index("lied")
    b = a + 4
    span = Span(start=a, end=b, text=text[a:b], score=0.8, technique="loaded_language")
    sentence = SentenceScore(doc=doc, index=0, paragraph=0, start=0, end=len(text), text=text, score=0.9,
                             label="framing", voice="author", spans=[span], targets=[target])
    article = ArticleScore(doc=doc, sentences=[sentence], threshold=0.5, targets_available=True)
    out = io.StringIO()
    TerminalWriter(Console(file=out, width=200, highlight=False)).write(article, summarize(article))
    return out.getvalue()


def test_file_names_and_texts_with_brackets_and_emoji_codes_are_shown_as_written():
    shown = _render("notes[/italic].txt", "[b]Kim[/b] :smile: lied [red]again[/red].", "[b]Kim[/b]")
    assert "notes[/italic].txt" in shown  # was rich.errors.MarkupError
    shown = _render("br[bold].txt :thumbs_up:", "[b]Kim[/b] :smile: lied.", "[b]Kim[/b]")
    assert "br[bold].txt :thumbs_up:" in shown  # was "br.txt 👍"
    assert "[b]Kim[/b]: negative" in shown and shown.count(":smile:") == 2  # the sentence, and most framed


def _article(sentences, doc="a.txt", threshold=0.5):
    """SentenceScores from (text, score, voice, spans, targets); spans (word, technique), targets
    (word, stance, voice), each found in its sentence's text."""
    recs, pos = [], 0
    for i, (text, score, voice, spans, targets) in enumerate(sentences):
        recs.append(SentenceScore(
            doc=doc, index=i, paragraph=0, start=pos, end=pos + len(text), text=text, score=score,
            label="framing" if score >= threshold else "neutral", voice=voice,
            spans=[Span(start=pos + text.index(w), end=pos + text.index(w) + len(w), text=w, score=0.7, technique=t)
                   for w, t in spans],
            targets=[Target(start=pos + text.index(w), end=pos + text.index(w) + len(w), text=w, entity=w, type="PERSON",
                            stance=st, score=0.8, polarity={"negative": -0.7, "positive": 0.7}.get(st, 0.0), voice=v)
                     for w, st, v in targets]))
        pos += len(text) + 1
    return ArticleScore(doc=doc, sentences=recs, threshold=threshold, targets_available=True)


def _plain(article, width=100) -> str:
    """The view as a pipe or a file gets it: no colour, no styles at all."""
    out = io.StringIO()
    TerminalWriter(Console(file=out, width=width, highlight=False)).write(article, summarize(article))
    return out.getvalue()


def test_without_colour_framing_techniques_stances_and_voices_are_still_told():
    """In a pipe, under NO_COLOR or to a colour-blind reader the label, the technique of each framed
    word and the stance toward each target were colour only: the text showed none of them."""
    art = _article([("Kang said his government supports Russia in a disgraceful move.", 0.9, "author",
                     [("disgraceful", "loaded_language")], [("Kang", "neutral", "author"), ("Russia", "positive", "quote")]),
                    ("Officials met on Monday.", 0.1, "author", [], [])])
    shown = _plain(art)
    assert "0.90 F   Kang‹neu› said" in shown and "0.10     Officials" in shown
    assert "disgraceful‹LL›" in shown
    assert "Russia‹“pos›" in shown  # the speaker's stance, not the author's
    assert "‹LL›" in shown.split("Legend:")[1] and "F framing (score ≥ 0.5)" in shown


def test_a_score_never_rounds_across_the_threshold_against_its_label():
    shown = _plain(_article([("Officials met on Monday.", 0.4996, "author", [], [])]))
    assert "0.49     Officials" in shown  # was "0.50": neutral, though 0.50 reads as framing at 0.5
    shown = _plain(_article([("A disgraceful move.", 0.604, "author", [], [])], threshold=0.603))
    assert "0.61 F   A disgraceful" in shown and "score ≥ 0.603" in shown  # was "0.60", below 0.603


def test_summary_counts_framed_sentences_and_whose_mentions():
    sents = [("A disgraceful move.", 0.9, "author", [], [])] + [("Officials met.", 0.1, "author", [], [])] * 299
    shown = _plain(_article(sents))
    assert "author 1 of 300 sentences (0%)" in shown  # was "0% of 300": as if none
    art = _article([("Kim lied.", 0.9, "author", [], [("Kim", "negative", "author")]),
                    ("Kim lied again.", 0.9, "author", [], [("Kim", "negative", "author")]),
                    ("\"Kim is great,\" he said.", 0.2, "quote", [], [("Kim", "positive", "quote")])])
    shown = _plain(art, width=200)
    assert "Kim: negative (-0.70, 2 author mentions; quoted: positive, 1 mention)" in shown  # was "3 mentions"


def test_most_framed_quoted_sentences_are_marked_as_quoted():
    art = _article([("\"They are thugs,\" he said.", 0.95, "quote", [], []), ("Officials met.", 0.1, "author", [], [])])
    assert "0.95 #0 “ \"They are thugs,\"" in _plain(art)  # was shown as if the author's


def test_escape_sequences_in_text_and_file_names_do_not_reach_the_terminal():
    art = _article([("The minister \x1b[31mlied\x1b[0m again. \x1b]0;PWNED\x07 Officials\rmet.", 0.9, "author",
                     [("Officials", "loaded_language")], [])], doc="ev\x1b[2Jil.txt")
    shown = _plain(art)
    assert "\x1b" not in shown and "\x07" not in shown and "\r" not in shown
    assert "Officials‹LL›" in shown  # rich dropped "\r", moving every highlight after it one character left


def test_narrow_terminals_keep_long_names_and_indent_wrapped_lines():
    doc = "/very/long/path/" + "x" * 80 + "/the_article.txt"
    shown = _plain(_article([("0.25 percent " * 20, 0.9, "author", [], [])], doc=doc), width=60)
    assert doc in shown.replace("\n", "")  # the rule cut it off: "/very/long/path/xxx…"
    body = shown.split("the_article.txt")[1].split("Summary")[0].strip("\n").splitlines()
    assert body[0].startswith("0.90 F") and len(body) > 3
    assert all(line.startswith(" " * 9) for line in body[1:])  # not "0.25 percent …" at column 0


def test_a_colour_terminal_shows_highlights_not_tags():
    """With colour the highlights and underlines carry technique and stance; a tag after every name
    crowded the text."""
    art = _article([("Kang said it was a disgraceful move.", 0.9, "author", [("disgraceful", "loaded_language")],
                     [("Kang", "neutral", "author")])])
    out = io.StringIO()
    TerminalWriter(Console(file=out, width=100, force_terminal=True, color_system="truecolor", highlight=False)).write(
        art, summarize(art))
    shown = out.getvalue()
    plain = re.sub(r"\x1b\[[0-9;]*m", "", shown)
    assert "\x1b[" in shown and "‹" not in shown and "0.90 F   Kang said" in plain
