"""The default, readable terminal view (rich): each sentence with its score, framed words highlighted."""
from __future__ import annotations

from rich.console import Console
from rich.text import Text

from inference.records import ArticleScore
from inference.summary import ArticleSummary

STYLES = {"loaded_language": "bold black on dark_orange", "name_calling": "bold white on red3",
          "exaggeration": "bold black on yellow3", "lexicon": "bold black on cyan"}


STANCE_COLOURS = {"negative": "red", "positive": "green", "neutral": ""}


class TerminalWriter:
    def __init__(self, console: Console | None = None):
        self.console = console or Console(highlight=False)

    def write(self, article: ArticleScore, summary: ArticleSummary) -> None:
        c = self.console
        c.rule(Text(str(article.doc), style="bold"))  # a Text, not markup: file names may hold "[/x]" or ":smile:"
        for s in article.sentences:
            line = Text()
            colour = "red" if s.label == "framing" else "green"
            line.append(f"{s.score:4.2f} ", style=f"bold {colour}")
            line.append("“ " if s.voice == "quote" else "  ", style="dim")
            body = Text(s.text, style="italic" if s.voice == "quote" else "")
            for sp in s.spans:
                body.stylize(STYLES.get(sp.technique, "reverse"), sp.start - s.start, sp.end - s.start)
            for t in s.targets:  # underlined, coloured by the stance toward it
                body.stylize(f"underline {STANCE_COLOURS.get(t.stance, '')}".strip(), t.start - s.start, t.end - s.start)
            line.append_text(body)
            c.print(line)
        c.print()
        c.print(f"[bold]Summary[/]: {summary.sentences} sentences; framing rate (author) "
                f"[bold]{summary.framing_rate_author:.0%}[/] of {summary.author_sentences}, in quotes "
                f"{summary.framing_rate_quote:.0%} of {summary.quote_sentences}; mean score (all sentences) {summary.mean_score:.2f}")
        if summary.top_phrases:
            c.print("Top loaded phrases: " + ", ".join(f"{p} ({n})" for p, n in summary.top_phrases),
                    markup=False, emoji=False)
        if summary.most_framed:
            c.print("Most framed sentences:")
        for ex in summary.most_framed[:3]:
            c.print(f"  {ex['score']:.2f} #{ex['index']} {ex['text'][:110]}{'…' if len(ex['text']) > 110 else ''}",
                    markup=False, emoji=False)
        if summary.main_targets:
            c.print("Main targets (author's stance): " + "; ".join(target_line(t) for t in summary.main_targets),
                    markup=False, emoji=False)
        if not article.spans_available:
            c.print("[dim]This model has no span head: loaded words are not highlighted.[/]")
        legend = Text("Legend: ")
        for t, st in STYLES.items():
            legend.append(f" {t} ", style=st)
            legend.append(" ")
        if article.targets_available:
            legend.append("targets: ")
            for stance, colour in STANCE_COLOURS.items():
                legend.append(stance, style=f"underline {colour}".strip())
                legend.append(" ")
        c.print(legend, style="dim")

    def close(self) -> None:
        pass


def target_line(t: dict) -> str:
    """'Kim Jong Un: negative (-0.71, 4 mentions; quoted: positive)'."""
    stance = t["author_stance"] or "only quoted"
    pol = f"{t['author_polarity']:+.2f}, " if t["author_polarity"] is not None else ""
    quoted = f"; quoted: {t['quote_stance']}" if t["quote_stance"] else ""
    return f"{t['entity']}: {stance} ({pol}{t['mentions']} mention{'s' if t['mentions'] != 1 else ''}{quoted})"
