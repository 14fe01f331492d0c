"""Target mentions start and end with the name: no emoji, quotes or "&" at their edges."""
from types import SimpleNamespace

import pytest

from inference.targets import find_mentions


class _FakeNer:
    """spaCy's ``pipe`` with the given (start, end, label) entities per sentence."""

    def __init__(self, spans):
        self.spans = spans

    def pipe(self, sentences, batch_size=64):
        for sentence, spans in zip(sentences, self.spans):
            yield SimpleNamespace(ents=[SimpleNamespace(text=sentence[a:b], label_=label, start_char=a, end_char=b)
                                        for a, b, label in spans])


def _mention(sentence: str, ent: str, label: str = "PERSON"):
    a = sentence.index(ent)
    return find_mentions([sentence], _FakeNer([[(a, a + len(ent), label)]]))[0]


@pytest.mark.parametrize("sentence, ent, expected", [
    ("🇺🇸 Donald Trump 👨‍👩‍👧 blasted the plan.", "\U0001F1F8 Donald Trump \U0001F468", "Donald Trump"),
    ("Elon Musk & Co said so.", "Elon Musk &", "Elon Musk"),
    ("“Kim's” aides left.", "“Kim's”", "Kim"),
    ("Ties with the U.S. grew.", "U.S.", "U.S."),
    ("Ties with Washington D.C. grew.", "Washington D.C.", "Washington D.C."),
    ("Kim Jong-Un met O'Brien.", "Kim Jong-Un", "Kim Jong-Un"),
    ("Kim Jong-Un met O'Brien.", "O'Brien", "O'Brien"),
    ("Jose\u0301 ❤️ spoke.", "Jose\u0301 ❤️", "Jose\u0301"),  # the accent stays, the emoji goes
    ("(NATO) said.", "(NATO)", "NATO"),
])
def test_mentions_are_trimmed_to_the_name_with_offsets_kept(sentence, ent, expected):
    (m,) = _mention(sentence, ent, "ORG")
    assert m.text == expected == sentence[m.start:m.end]


def test_a_mention_with_no_letter_or_digit_left_is_dropped():
    assert _mention("🇺🇸 BIG 🇺🇸 news", "🇺🇸 BIG 🇺🇸")[0].text == "BIG"
    assert _mention("Look: Ⓐ!", "Ⓐ!") == []  # "Ⓐ" is upper case but a symbol, not a letter


def test_spacy_mentions_are_trimmed_too():
    sentence = "🇺🇸 Donald Trump 👨‍👩‍👧 blasted the plan."
    assert [(m.text, m.start, m.end) for m in find_mentions([sentence])[0]] == [("Donald Trump", 3, 15)]
