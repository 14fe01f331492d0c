"""The report's words, shared by the HTML and Markdown renderers.

Why a module of its own: the two renderers once wrote their headings, notes
and p-values separately, and drifted apart (rows in different orders, p as
"0.0609" in one and "0.061" in the other, a Holm family of "36 comparisons"
where 21 pairs had a p-value, a note promising that quoted sentences were
"counted apart" under columns that count them). Every column name, note and
number format that both show is built here once, as plain text; each
renderer only escapes it for its own format.
"""
from __future__ import annotations

from urllib.parse import quote, urlparse

from inference.report_stats import MAX_TOPICS, METRICS, PRIMARY, CorpusReport

__all__ = ["plural", "count", "fmt_p", "safe_url", "listed", "group_columns", "pair_columns", "story_columns",
           "RATE", "STANCE_TITLE", "EXAMPLES_TITLE", "NO_EXAMPLES", "NO_SPANS", "ONE_GROUP", "VOICE_NOTE", "NA_NOTE",
           "ORDER_NOTE", "framed_note", "pairs_note", "story_note", "topics_cells", "story_empty", "story_missing",
           "topics_note", "stance_missing"]

STANCE_TITLE = "Stance toward people, organisations and countries (author's voice)"
EXAMPLES_TITLE = "Loaded phrases and the most framed sentences (author's voice)"
NO_EXAMPLES = "No framed sentence in the author's voice."
NO_SPANS = "This model has no span head: loaded phrases are not marked."
ONE_GROUP = "One group only: nothing to compare."
VOICE_NOTE = ("Sentences inside quotation marks (what a source said) are counted apart only in the two framed-sentence "
              "rates, so the author's-voice rate does not charge a group for its sources; the mean framing score and "
              "the framed sentences per 1,000 words count every sentence and every word, quotes included.")
NA_NOTE = ("n/a: no value where a group has no sentence of that kind (no quotes, say); no interval where fewer than "
           "two of its articles have such sentences (a group of one article, say).")
#: The primary metric in a sentence (its column label is METRICS[PRIMARY][3]).
RATE = "framed-sentence rate in the author's voice"
ORDER_NOTE = (f"Groups are sorted by the {RATE}, highest first (ties by name; a group without author-voice "
              "sentences last).")


def plural(noun: str) -> str:
    """A column name as a plural heading: "stories", "topics", "leanings" ("storys" before)."""
    if noun[-1:] == "y" and noun[-2:-1] not in tuple("aeiou"):
        return noun[:-1] + "ies"
    return noun + ("es" if noun.endswith(("s", "x", "ch", "sh")) else "s")


def count(n: int, noun: str) -> str:
    """"1 article", "1,234 articles" ("1 groups", "1 articles" before)."""
    return f"{n:,} {noun if n == 1 else plural(noun)}"


def fmt_p(p: float | None) -> str:
    """A p-value as every format prints it: three decimals, "<0.001" below that, "n/a" when missing."""
    return "n/a" if p is None else ("<0.001" if p < 0.001 else f"{p:.3f}")


def safe_url(url: str) -> str | None:
    """``url`` if it is an absolute http(s) link, else None (no ``javascript:``, no local files); spaces,
    angle brackets and quotes percent-encoded, so it cannot end a Markdown autolink or an attribute early."""
    url = (url or "").strip()
    try:
        parsed = urlparse(url)
    except ValueError:
        return None
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        return None
    return "".join(quote(ch) if ch in ' <>"`' or ord(ch) < 32 else ch for ch in url)


def listed(names: list[str], most: int = 10) -> str:
    """Names for a note, the first ``most`` of them ("a, b and 3 more")."""
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def group_columns(by: str) -> list[str]:
    return [by, "articles", "sentences", "words"] + [METRICS[k][3] for k in METRICS]


def pair_columns() -> list[str]:
    return ["A", "B", f"A − B, {METRICS[PRIMARY][3]}", "p (permutation)", "p (Holm)"]


def story_columns(by: str, story: str) -> list[str]:
    return [by, f"shared {plural(story)}", "its articles", "others' articles",
            f"{by} − others, mean over {plural(story)}", f"p (permutation within {story})", "p (Holm)"]


def framed_note(report: CorpusReport) -> str:
    threshold = report.meta.get("threshold") or 0.0
    return (f"A sentence counts as framed when the model's calibrated score reaches the threshold ({threshold:.2f}). "
            "Rates are pooled over a group's articles; the 95% intervals come from resampling whole articles, so a "
            "group whose framing sits in a few articles gets a wide interval.")


def pairs_note(report: CorpusReport) -> str:
    """What the pairwise table holds, with the true size of the Holm family (pairs without a p-value are not in it)."""
    tested = sum(c.p is not None for c in report.pairwise)
    untested = len(report.pairwise) - tested
    text = (f"Difference in the {RATE} (A − B), with a bootstrap 95% interval; p-values from a "
            f"permutation test on articles, Holm-corrected over the {count(tested, 'pair')} with a p-value.")
    if untested:
        text += (f" {count(untested, 'pair')} {'has' if untested == 1 else 'have'} neither interval nor p-value "
                 "(n/a) and stay out of the correction: one of the two groups has fewer than two articles with "
                 "author-voice sentences (or --bootstrap is under 10), so it cannot be resampled.")
    return text + (" Rows are sorted by Holm p, then p, then the larger difference, then the names; pairs without a "
                   "p-value last.")


def story_note(by: str, story: str) -> str:
    return (f"Each {by} against all the others, only on the {plural(story)} both covered: per {story}, its {RATE} "
            f"minus the others'; averaged over them. This removes differences that come from what each {by} covers. "
            "Rows follow the group order.")


def topics_cells(story: str) -> str:
    return f"Each cell: the {RATE} of a group's articles on one {story} (their number)."


def story_empty(by: str, story: str) -> str:
    return (f"No {story} was covered by two or more {plural(by)} with author-voice sentences on both sides: no "
            f"same-{story} comparison.")


def story_missing(report: CorpusReport, by: str, story: str) -> str:
    """Why groups are absent from the same-story table ("" when none is)."""
    shown = {r.group for r in report.same_story}
    missing = [g.name for g in report.groups if g.name not in shown]
    if not missing or not report.same_story:
        return ""
    return (f"Not listed: {listed(missing)} (no {story} shared with another {by}, with author-voice sentences on "
            "both sides).")


def topics_note(report: CorpusReport, story: str) -> str:
    """Why the per-story table is missing or cut ("" when it is whole)."""
    total = report.meta.get("stories_total", 0) or 0
    shown = len({c.topic for c in report.topics})
    if not shown:
        return f"No article has a {story}: no per-{story} table."
    if total > shown:
        return (f"Only the {shown} most covered of {count(total, story)} are shown, in every format (at most "
                f"{MAX_TOPICS}).")
    return ""


def stance_missing(report: CorpusReport, by: str) -> str:
    """Why groups are absent from the stance table ("" when none is)."""
    st = report.stance
    if st is None or not st.targets:
        return ""
    present = {c.group for c in st.cells}
    missing = [g.name for g in report.groups if g.name not in present]
    if not missing:
        return ""
    return (f"Not listed: {listed(missing)} (fewer than {st.min_mentions} author-voice mentions of every target "
            "shown).")
