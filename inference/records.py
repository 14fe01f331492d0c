"""What scoring produces: one record per sentence, one summary per article.

The JSONL output is ``asdict(SentenceScore)`` per line; the README documents
the fields. Reports, caches and the Ray engine all read these same records.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from models.errors import SlantError


def check_threshold(threshold, what: str = "threshold") -> None:
    """The framing threshold is a probability: checked by the CLI's engines before any model
    loads and by ``Scorer`` for the Python API, with one message (``what`` names the option)."""
    if threshold is not None and (isinstance(threshold, bool) or not isinstance(threshold, (int, float))
                                  or not 0.0 <= threshold <= 1.0):
        raise SlantError(f"{what} {threshold!r}: must be a probability between 0 and 1")


@dataclass
class Span:
    start: int          # character offset in the document (not the sentence)
    end: int
    text: str
    score: float        # probability of the span's technique
    technique: str      # loaded_language | name_calling | exaggeration | lexicon


@dataclass
class Target:
    """A person, organisation or country a sentence talks about, and the stance toward it."""
    start: int          # character offsets of the mention in the document
    end: int
    text: str           # the mention as written ("Kim")
    entity: str         # the article-level entity it was grouped into ("Kim Jong Un")
    type: str           # PERSON | ORG | GPE (spaCy's labels)
    stance: str         # negative | neutral | positive
    score: float        # calibrated probability of that stance
    polarity: float     # P(positive) - P(negative), in [-1, 1]: what reports average
    voice: str          # "author" | "quote": whose stance it is (the sentence's voice)


@dataclass
class SentenceScore:
    doc: str            # document id (file path, corpus id, or "-" for stdin)
    index: int          # sentence number within the document, from 0
    paragraph: int      # paragraph number within the document, from 0
    start: int          # character offsets of the sentence in the original text
    end: int
    text: str
    score: float        # calibrated probability of framing
    label: str          # "framing" | "neutral" (score >= threshold)
    voice: str          # "author" | "quote"
    spans: list[Span] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class ArticleScore:
    doc: str
    sentences: list[SentenceScore]
    threshold: float
    spans_available: bool = True
    targets_available: bool = False

    def records(self) -> list[dict]:
        return [s.to_dict() for s in self.sentences]
