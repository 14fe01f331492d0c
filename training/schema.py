"""The one record schema every data source is brought into.

Each loader returns a ``datasets.Dataset`` with exactly these columns, so the
training loop, the splits and the baselines never care where data came from.
"""
from __future__ import annotations

from pathlib import Path

LABELS = ("neutral", "framing")
"""Sentence labels; index 1 is the positive class whose probability we score."""

TECHNIQUES = ("loaded_language", "name_calling", "exaggeration")
"""Span techniques the token head names (BIO tags are built from these)."""

PTC_TECHNIQUE_MAP = {
    "Loaded_Language": "loaded_language",
    "Name_Calling,Labeling": "name_calling",
    "Exaggeration,Minimisation": "exaggeration",
}
"""PTC technique name -> Slant technique; PTC techniques not listed are kept in
the raw spans but not trained (too few or not word-level)."""

BABE_SPAN_TECHNIQUE = "loaded_language"
"""BABE's biased words carry no technique; they are weak loaded-language labels."""

COLUMNS = (
    "id",            # str: stable source id, e.g. "babe:123" or "ptc:111111111:7"
    "text",          # str
    "label",         # int: 0 neutral, 1 framing
    "spans",         # list[{"start": int, "end": int, "technique": str}] char offsets in text
    "has_spans",     # bool: whether this row was span-annotated at all (masks the token loss)
    "outlet",        # str ("" when unknown)
    "topic",         # str ("" when unknown)
    "group",         # str: unit that must not be split across train/test (article id, or the id)
    "source",        # str: dataset name
    "opinion",       # int: -1 unknown, 0 factual, 1 somewhat, 2 opinion (BABE multi-task)
    "target_start",  # int: -1, or the char offset of the target mention of a stance row
    "target_end",    # int: -1, or the end of that mention
    "stance",        # int: -1 (not a stance row), else an index into STANCES
    "stance_soft",   # list[float]: a teacher's probabilities over STANCES (distillation), or []
    "label_soft",    # float: -1, or the share of annotators who called the sentence framing (BABE)
)
"""Stance rows (NewsMTSC) are one (sentence, target) pair each and carry ``label`` -1:
the framing loss skips them, and framing rows carry ``stance`` -1."""

STANCES = ("negative", "neutral", "positive")
"""Stance toward a target; NewsMTSC's 2.0 / 4.0 / 6.0 polarities in that order."""

TARGET_MARKERS = ("«", "»")
"""Marker characters put around the target mention of a stance input. Each is one word
piece of MiniLM's vocabulary that news text rarely uses, so no embedding is added."""


def bio_tags(techniques=TECHNIQUES) -> list[str]:
    """The token label set: O, then B-/I- per technique, in a fixed order."""
    tags = ["O"]
    for t in techniques:
        tags += [f"B-{t}", f"I-{t}"]
    return tags


def row_source(name: str) -> str:
    """The ``source`` of the rows ``load_source(name)`` gives (a user's file's rows carry its
    stem), so options that name sources (``data.span_sources`` ...) can be matched to rows."""
    return Path(name).stem if name.endswith((".csv", ".jsonl")) else name


def column(ds, name: str) -> list:
    """A dataset column as a list, read in one go. Iterating ``ds[name]`` (a lazy datasets
    ``Column``) reads it row by row: several seconds for PTC's 20,000 lines, every time."""
    return ds[name][:]
