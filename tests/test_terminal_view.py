"""The terminal view prints file names, sentences and entity names as written, never as rich markup."""
import io

from rich.console import Console

from inference.records import ArticleScore, SentenceScore, Span, Target
from inference.summary import summarize
from inference.terminal import TerminalWriter


def _render(doc: str, text: str, entity: str) -> str:
    target = Target(start=0, end=len(entity), text=entity, entity=entity, type="PERSON", stance="negative",
                    score=0.9, polarity=-0.8, voice="author")
    a, b = len(entity) + 1, len(entity) + 5
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
