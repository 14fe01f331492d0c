"""The default, readable terminal view (rich): each sentence with its score, framed words highlighted.

Nothing is told by colour alone where there is no colour (a pipe, a file, ``NO_COLOR``): a
framing sentence is always marked ``F`` and a quoted one ``“``, and without colour a framed span
is followed by its technique's tag and a target by the stance toward it (``highlight.tags_at``);
on a colour terminal the highlights and coloured underlines carry those, and the legend names them.
Article text and file names are shown as written, never read as rich markup, and control
characters are replaced, so an article holding ESC sequences cannot drive the terminal.
"""
from __future__ import annotations

import math
import re

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from inference.highlight import STANCE_TAGS, TECHNIQUE_TAGS, tag_text, tags_at, target_tag, visible
from inference.records import ArticleScore
from inference.summary import ArticleSummary

STYLES = {"loaded_language": "bold black on dark_orange", "name_calling": "bold white on red3",
          "exaggeration": "bold black on yellow3", "lexicon": "bold black on cyan"}


STANCE_COLOURS = {"negative": "red", "positive": "green", "neutral": ""}

#: A line break other than "\n", each character of it replaced one for one: "\r\n" by " \n".
_BREAK = re.compile(r"\r\n?|[\u2028\u2029]")


def safe(text: str, newlines: bool = True) -> str:
    """``text`` with control characters shown as "�" (ESC, BEL: rich passes ESC on to the
    terminal; ``highlight.visible``), and every line break made "\\n" one for one: rich drops a
    "\\r", which moved every highlight after it, and a "\\r" shown as "�" marked each line end
    of a hard-wrapped Windows (CRLF) file; newlines become spaces too unless kept."""
    text = _BREAK.sub(lambda m: " " * (len(m.group()) - 1) + "\n", visible(text))
    return text if newlines else text.replace("\n", " ").replace("\t", " ")


def one_line(message: str) -> str:
    """A message for one line of stderr (an error or warning naming a file or corpus id): ``safe``
    without line breaks, and a name's bytes that are not UTF-8 (lone surrogates) as "\\xe9", so
    neither ESC sequences nor a newline in a name reach the terminal, and writing it cannot fail."""
    return safe(message, newlines=False).encode("utf-8", "backslashreplace").decode("utf-8")


class TerminalWriter:
    for_reading = True  # a person reads it: a streamed file's later chunks are headed as such

    def __init__(self, console: Console | None = None):
        self.console = console or Console(highlight=False)

    def write(self, article: ArticleScore, summary: ArticleSummary) -> None:
        c = self.console
        # on a colour terminal the highlights and underlines say it, and a tag after every name
        # would crowd the text; without colour (a pipe, a file, NO_COLOR) the tags say it
        tagged = c.no_color or c.color_system is None
        name = Text(safe(article.doc, newlines=False), style="bold")  # a Text, not markup: names may hold "[/x]"
        if cell_len(name.plain) + 6 <= c.width:
            c.rule(name)
        else:  # a rule cuts a long name from the right, and with it the part that tells files apart
            c.rule()
            c.print(name)
        for s in article.sentences:
            framing = s.label == "framing"
            head = Text(score_text(s.score, s.label, article.threshold), style=f"bold {'red' if framing else 'green'}")
            head.append(" F" if framing else "  ", style="bold red")
            head.append(" “" if s.voice == "quote" else "  ", style="dim")
            body = Text(safe(s.text), style="italic" if s.voice == "quote" else "")
            for sp in s.spans:
                body.stylize(STYLES.get(sp.technique, "reverse"), sp.start - s.start, sp.end - s.start)
            for t in s.targets:  # underlined, coloured by the stance toward it
                body.stylize(f"underline {STANCE_COLOURS.get(t.stance, '')}".strip(), t.start - s.start, t.end - s.start)
            head.append(" ")
            if tagged:
                body = _with_tags(body, tags_at(s))
            for i, part in enumerate(body.wrap(c, max(c.width - head.cell_len, 20))):  # wrapped lines stay
                part.rstrip()
                c.print(Text.assemble(head if i == 0 else " " * head.cell_len, part), soft_wrap=True)  # indented
        c.print()
        c.print(f"[bold]Summary[/]: {summary.sentences} sentences; " + framing_line(summary, article.threshold),
                markup=True, emoji=False)
        if summary.top_phrases:
            c.print("Top framed phrases (author voice): " + ", ".join(f"{safe(p, False)} ({n})" for p, n in summary.top_phrases),
                    markup=False, emoji=False)
        if summary.most_framed:
            c.print("Most framed sentences:")
        for ex in summary.most_framed[:3]:
            c.print(Text(f"  {score_text(ex['score'], 'framing', article.threshold)} #{ex['index']} "
                         f"{'“ ' if ex['voice'] == 'quote' else ''}{safe(ex['text'], newlines=False)}"),
                    no_wrap=True, overflow="ellipsis")  # one line each, however narrow the terminal
        if summary.main_targets:
            c.print("Main targets (author's stance): " + "; ".join(safe(target_line(t), False) for t in summary.main_targets),
                    markup=False, emoji=False)
        if not article.spans_available:
            c.print("[dim]This model has no span head: loaded words are not highlighted.[/]")
        legend = Text("Legend: ")
        for t, st in STYLES.items():
            legend.append(f" {t} ", style=st)
            legend.append(f"‹{TECHNIQUE_TAGS[t]}› " if tagged else " ")
        if article.targets_available:
            legend.append("targets: ")
            for stance, colour in STANCE_COLOURS.items():
                legend.append(stance, style=f"underline {colour}".strip())
                legend.append(f" ‹{STANCE_TAGS[stance]}› " if tagged else " ")
            if tagged:
                legend.append(f"({target_tag('negative', 'quote')}: a source's stance) ")
        legend.append(f" F framing (score ≥ {article.threshold:g})  “ quoted (a source's voice)")
        c.print(legend, style="dim")

    def close(self) -> None:
        pass


def _with_tags(body: Text, at: dict[int, list]) -> Text:
    """``body`` with each span's and target's tag inserted after it, its styles kept."""
    if not at:
        return body
    cuts = sorted(at)
    out = Text(style=body.style)
    for part, cut in zip(body.divide(cuts), cuts + [None]):
        out.append_text(part)
        if cut is not None:
            out.append("".join(tag_text(x) for x in at[cut]), style="dim")
    return out


def score_text(score: float, label: str, threshold: float) -> str:
    """The score to two decimals, on the side of the threshold its label is: 0.4996 below a
    threshold of 0.5 is "0.49", not a neutral "0.50" that reads as framing."""
    framing = label == "framing"
    down = math.floor(score * 100) / 100
    for v in ((round(score, 2), math.ceil(score * 100) / 100) if framing else (round(score, 2), down, down - 0.01)):
        if (v >= threshold) == framing:
            return f"{v:.2f}"
    return f"{score:.2f}"


def framing_line(summary: ArticleSummary, threshold: float) -> str:
    """'framing (score ≥ 0.5): author 5 of 16 sentences (31%), in quotes 0 of 4 (0%); mean score …'."""
    return (f"framing (score ≥ {threshold:g}): author {summary.author_framed} of {summary.author_sentences} "
            f"sentences ({summary.framing_rate_author:.0%}), in quotes {summary.quote_framed} of "
            f"{summary.quote_sentences} ({summary.framing_rate_quote:.0%}); mean score (all sentences) {summary.mean_score:.2f}")


def target_line(t: dict) -> str:
    """'Kim Jong Un: negative (-0.71, 4 author mentions; quoted: positive, 2 mentions)', 'Kang: only
    quoted (neutral, 1 mention)': the polarity and count are the author's, as the stance is (the
    total of 6 mentions read as the author's before)."""
    stance = t["author_stance"] or "only quoted"
    n, q = t.get("author_mentions", t["mentions"]), t["mentions"] - t.get("author_mentions", t["mentions"])
    own = f"{t['author_polarity']:+.2f}, {n} author mention{'s' if n != 1 else ''}" if t["author_stance"] else ""
    quoted = (f"{'quoted: ' if own else ''}{t['quote_stance']}, {q} mention{'s' if q != 1 else ''}"
              if t["quote_stance"] else "")
    return f"{t['entity']}: {stance} ({'; '.join(x for x in (own, quoted) if x)})"
