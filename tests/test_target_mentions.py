"""Target mentions: found, capped, grouped across an article, and trimmed to the name (no emoji,
quotes or "&" at their edges)."""
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


def test_group_mentions_joins_surnames_and_possessives():
    from inference.targets import Mention, group_mentions

    rows = [[Mention(0, 0, 11, "Kim Jong Un", "PERSON"), Mention(0, 20, 26, "Russia", "GPE")],
            [Mention(1, 0, 3, "Kim", "PERSON"), Mention(1, 10, 16, "Shoigu", "GPE")],
            [Mention(2, 0, 13, "Sergei Shoigu", "PERSON"), Mention(2, 20, 28, "Russia's", "GPE")],
            [Mention(3, 0, 16, "the Soviet Union", "GPE")]]
    group_mentions(rows)
    assert rows[1][0].entity == "Kim Jong Un"
    assert rows[1][1].entity == "Sergei Shoigu" and rows[1][1].type == "PERSON"
    assert rows[2][1].entity == "Russia" and rows[3][0].entity == "Soviet Union"


def targets_as_if_found(sentences, found):
    """``article_targets`` with the recogniser's mentions given (spaCy bypassed)."""
    import inference.targets as targets

    real = targets.find_mentions
    targets.find_mentions = lambda s, nlp=None: [list(row) for row in found]
    try:
        return targets.article_targets(sentences, object())
    finally:
        targets.find_mentions = real


def test_names_found_once_are_found_again_where_the_recogniser_missed_them():
    from inference.targets import Mention

    sentences = ["Kim Jong Un met Putin in Vladivostok.", "Kim said the price was right.",
                 "The Kim Jong-Un government bought arms.", "Price said North Korea met the Washington Post.",
                 "Washington said no to Korea.", "Putin's aide, Mr Putin Jr, left.", "A Larry Cook's Stop Mandatory Vaccination Facebook page.",
                 "Facebook pulled it.", "Price rises hit shoppers."]
    found = [[Mention(0, 0, 11, "Kim Jong Un", "PERSON"), Mention(0, 16, 21, "Putin", "PERSON")], [], [],
             [Mention(3, 0, 5, "Price", "PERSON"), Mention(3, 11, 22, "North Korea", "GPE")],
             [Mention(4, 0, 10, "Washington", "GPE")], [],
             [Mention(6, 2, 50, "Larry Cook's Stop Mandatory Vaccination Facebook", "PERSON")], [], []]
    rows = targets_as_if_found(sentences, found)
    got = [[(m.text, m.entity) for m in row] for row in rows]
    assert got[1] == [("Kim", "Kim Jong Un")]                      # a Korean name's first word
    assert got[2] == [("Kim Jong-Un", "Kim Jong Un")]              # hyphen or space, one name
    assert got[3] == [("Price", "Price"), ("North Korea", "North Korea")]  # "Washington Post" is not Washington
    assert got[4] == [("Washington", "Washington")]                # "Korea" alone was never found: not looked up
    assert got[5] == [("Putin", "Putin")]                          # "Putin Jr" runs on into a capitalised word
    assert got[7] == []   # an odd "person" lends no word to look up
    assert got[8] == []   # a one-word name the article also writes in lower case ("the price") is not looked up


def test_a_name_the_recogniser_typed_two_ways_is_added_and_grouped_with_its_usual_type():
    from inference.targets import Mention

    sentences = ["Vladivostok hosted it.", "They flew to Vladivostok.", "In Vladivostok, rain.", "Vladivostok waited."]
    found = [[Mention(0, 0, 11, "Vladivostok", "PERSON")], [Mention(1, 13, 24, "Vladivostok", "GPE")],
             [Mention(2, 3, 14, "Vladivostok", "GPE")], []]  # one slip, two right, one missed
    rows = targets_as_if_found(sentences, found)
    assert [(m.text, m.type) for row in rows for m in row] == [("Vladivostok", "GPE")] * 4


def test_find_mentions_caps_and_filters_with_spacy():
    from inference.targets import MAX_TARGETS_PER_SENTENCE, find_mentions

    names = ", ".join(f"{n} Smith" for n in ["Anna", "Bob", "Carl", "Dora", "Emil", "Fay", "Gus", "Hana", "Ivan", "Jill"])
    found = find_mentions([f"{names} met Joe Biden in Paris.", "nothing here at all.", ""])
    assert len(found) == 3 and len(found[0]) == MAX_TARGETS_PER_SENTENCE
    assert found[1] == [] and found[2] == []


def test_a_name_the_recogniser_cut_in_pieces_is_one_mention_where_it_was_found_whole_elsewhere():
    from inference.targets import Mention

    sentences = ["Cambridge Analytica harvested the data.", "Cambridge Analytica denied it.",
                 "Critics said Cambridge Analytica lied.", "He studied at Cambridge."]
    found = [[Mention(0, 0, 19, "Cambridge Analytica", "ORG")], [Mention(1, 0, 19, "Cambridge Analytica", "ORG")],
             [Mention(2, 13, 22, "Cambridge", "GPE"), Mention(2, 23, 32, "Analytica", "PERSON")],
             [Mention(3, 14, 23, "Cambridge", "GPE")]]
    rows = targets_as_if_found(sentences, found)
    got = [[(m.text, m.entity, m.type) for m in row] for row in rows]
    assert got[2] == [("Cambridge Analytica", "Cambridge Analytica", "ORG")]
    assert got[3] == [("Cambridge", "Cambridge", "GPE")]  # the university town stays itself
