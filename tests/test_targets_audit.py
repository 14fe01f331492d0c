"""Targets, their grouping and their voice, as a researcher reading the output meets them: the
speaker of a quotation, a surname two people share, a headline in capitals, accents written as
separate marks, and the report's stance table with one outlet or no names at all."""
from types import SimpleNamespace

import pytest

from inference.quotes import target_voices
from inference.targets import Mention, article_targets, find_mentions, group_mentions


def _voices(sentence, voice, *names, quoted=None):
    spans = [(sentence.index(n), sentence.index(n) + len(n)) for n in names]
    return target_voices(sentence, voice, spans, quoted)


# --- voice ---------------------------------------------------------------------------------------

def test_the_speaker_named_outside_a_quotation_is_the_authors():
    """'"…," said Joe Biden.' is a quoted sentence, but Biden is named by the author, as in "Biden
    said Putin …"; before, every target of a quoted sentence was the source's."""
    s = '"Vladimir Putin is a war criminal," said Joe Biden.'
    assert _voices(s, "quote", "Vladimir Putin", "Joe Biden") == ["quote", "author"]
    s = '"We will win this war," said Joe Biden, adding that Putin would lose.'
    assert _voices(s, "quote", "Joe Biden", "Putin") == ["author", "quote"]   # reported speech after the verb
    s = '"Putin is a killer and Russia must pay," Biden told reporters in Washington on Tuesday.'
    assert _voices(s, "quote", "Putin", "Russia", "Biden", "Washington") == ["quote", "quote", "author", "author"]
    # a quoted sentence without quotation marks (an embedded post) stays the source's throughout
    assert _voices("Biden is a disgrace and Putin knows it.", "quote", "Biden", "Putin") == ["quote", "quote"]


def test_a_quotation_opened_in_an_earlier_sentence_is_given_by_the_caller():
    s = 'Russia will lose," said Biden.'
    assert _voices(s, "quote", "Russia", "Biden", quoted=[(0, 16)]) == ["quote", "author"]
    assert _voices(s, "quote", "Russia", "Biden") == ["quote", "quote"]   # unknown without the article: the source's


def test_a_speech_verb_inside_an_earlier_quotation_reports_nothing():
    assert _voices('Critics who "said nothing" for years now attack Biden.', "author", "Biden") == ["author"]
    assert _voices('"I said no," Biden told Putin.', "quote", "Biden", "Putin") == ["author", "author"]


def test_the_occasion_and_what_follows_a_direct_quotation_are_the_authors():
    s = 'Biden said "Putin is a killer" and then flew to Ohio with Kamala Harris.'
    assert _voices(s, "author", "Putin", "Ohio", "Kamala Harris") == ["quote", "author", "author"]
    assert _voices("Paul Ryan and Rand Paul argued in the Senate.", "author", "Senate") == ["author"]
    assert _voices("Miller wrote in the Washington Post that Russia lied.", "author", "Washington Post",
                   "Russia") == ["author", "quote"]
    # still reported speech: a phrase of the clause quoted, a date before the clause, no "that"
    assert _voices('Biden said "the war" would hurt Russia.', "author", "Russia") == ["quote"]
    assert _voices("Trump said on Tuesday the Republican National Convention would move.", "author",
                   "Republican National Convention") == ["quote"]
    assert _voices("Kang said in a statement Russia would win.", "author", "Russia") == ["quote"]


@pytest.mark.real
def test_scored_quotation_gives_its_speaker_the_authors_voice_with_offsets_kept():
    from inference.scorer import Scorer
    from inference.summary import main_targets

    text = ('"Vladimir Putin is a war criminal," said Joe Biden.\n\n"We will fight. Russia will lose," '
            "Biden added.\n\nBiden said Putin was a pariah.")
    article = Scorer.load().score(text)
    got = [(t.text, t.entity, t.voice) for s in article.sentences for t in s.targets]
    assert all(text[t.start:t.end] == t.text for s in article.sentences for t in s.targets)
    assert ("Joe Biden", "Joe Biden", "author") in got and ("Russia", "Russia", "quote") in got
    assert [g for g in got if g[0] == "Biden"] == [("Biden", "Joe Biden", "author")] * 2
    assert {t.voice for s in article.sentences for t in s.targets if t.entity == "Vladimir Putin"} == {"quote"}
    biden = next(r for r in main_targets(article) if r["entity"] == "Joe Biden")
    assert biden["author_mentions"] == 3 and biden["quote_stance"] is None


# --- grouping -----------------------------------------------------------------------------------

def _group(*rows):
    mentions = [[Mention(i, 0, len(t), t, kind) for t, kind in row] for i, row in enumerate(rows)]
    return [[m.entity for m in row] for row in group_mentions(mentions)]


def test_a_shared_surname_joins_the_person_named_most_then_a_surname_then_the_first_named():
    """Before, last-word matches won whatever the counts ("Kim" went to the analyst James Kim beside
    three "Kim Jong Un"), and ties went to the longer, then alphabetically later name ("Trump" to
    "Ivanka Trump" in an article about Donald Trump, on MBIC)."""
    P = "PERSON"
    assert _group([("Kim Jong Un", P)], [("Kim Jong Un", P)], [("James Kim", P)], [("Kim Jong Un", P)],
                  [("Kim", P)])[-1] == ["Kim Jong Un"]
    assert _group([("Donald Trump", P)], [("Ivanka Trump", P)], [("Donald Trump", P)], [("Ivanka Trump", P)],
                  [("Trump", P)])[-1] == ["Donald Trump"]
    assert _group([("Ivanka Trump", P)], [("Donald Trump", P)], [("Trump", P)])[-1] == ["Ivanka Trump"]
    assert _group([("Rand Paul", P)], [("Paul Ryan", P)], [("Paul", P)])[-1] == ["Rand Paul"]  # a tie: the surname


def test_a_name_in_capitals_is_the_name_written_in_mixed_case():
    rows = _group([("AL GORE", "PERSON")], [("Al Gore", "PERSON")], [("Gore", "PERSON")], [("NATO", "ORG")])
    assert rows == [["Al Gore"], ["Al Gore"], ["Al Gore"], ["NATO"]]


def _targets(sentences, found):
    """``article_targets`` with the recogniser's mentions given."""
    import inference.targets as targets

    real = targets.find_mentions
    targets.find_mentions = lambda s, nlp=None: [list(row) for row in found]
    try:
        return [[(m.text, m.entity, m.type) for m in row] for row in targets.article_targets(sentences, object())]
    finally:
        targets.find_mentions = real


def test_a_headline_in_capitals_keeps_the_articles_names_and_drops_the_recognisers_slips():
    """spaCy reads capitals poorly: "TRUMP SLAMS BIDEN" came out as one ORG target, shown as an entity
    of its own in the summary, and TRUMP, BIDEN and CHINA were not found."""
    sentences = ["TRUMP SLAMS BIDEN OVER CHINA DEAL", "Donald Trump attacked Joe Biden over a deal with China.",
                 "SCIENTISTS WARN OF FLOODS", "Biden dismissed it."]
    found = [[Mention(0, 0, 17, "TRUMP SLAMS BIDEN", "ORG")],
             [Mention(1, 0, 12, "Donald Trump", "PERSON"), Mention(1, 22, 31, "Joe Biden", "PERSON"),
              Mention(1, 49, 54, "China", "GPE")],
             [Mention(2, 0, 15, "SCIENTISTS WARN", "ORG")], [Mention(3, 0, 5, "Biden", "PERSON")]]
    rows = _targets(sentences, found)
    assert rows[0] == [("TRUMP", "Donald Trump", "PERSON"), ("BIDEN", "Joe Biden", "PERSON"), ("CHINA", "China", "GPE")]
    assert rows[2] == []
    # an article all in capitals has nothing else to go by: the recogniser's mentions stay
    caps = ["PUTIN WARNS NATO", "KIM JONG UN MEETS PUTIN"]
    assert _targets(caps, [[Mention(0, 0, 5, "PUTIN", "PERSON")], [Mention(1, 0, 11, "KIM JONG UN", "PERSON")]]) == \
        [[("PUTIN", "PUTIN", "PERSON")], [("KIM JONG UN", "KIM JONG UN", "PERSON"), ("PUTIN", "PUTIN", "PERSON")]]


def test_short_forms_join_a_hyphenated_korean_name_and_a_name_with_either_apostrophe():
    """"Moon" stayed apart from "Moon Jae-in" (its lower-case "in" made it no name), and "O’Rourke"
    with a typographic apostrophe was neither looked up nor grouped with "Beto O'Rourke"."""
    sentences = ["Kim Jong Un met Moon Jae-in.", "Moon left.", "Beto O'Rourke conceded.", "O’Rourke thanked voters."]
    found = [[Mention(0, 0, 11, "Kim Jong Un", "PERSON"), Mention(0, 16, 27, "Moon Jae-in", "PERSON")],
             [Mention(1, 0, 4, "Moon", "PERSON")], [Mention(2, 0, 13, "Beto O'Rourke", "PERSON")], []]
    rows = _targets(sentences, found)
    assert rows[1] == [("Moon", "Moon Jae-in", "PERSON")]
    assert rows[3] == [("O’Rourke", "Beto O'Rourke", "PERSON")]
    from inference.report_collect import entity_key
    assert entity_key("Beto O’Rourke") == entity_key("Beto O'Rourke")   # and across a report's articles


class _ComposedOnlyNer:
    """A recogniser that, like spaCy's small model, sees a name only with its accents composed."""

    def __init__(self, *names):
        self.names = names

    def pipe(self, sentences, batch_size=64):
        for s in sentences:
            ents = [SimpleNamespace(text=n, label_="PERSON", start_char=s.index(n), end_char=s.index(n) + len(n))
                    for n in self.names if n in s]
            yield SimpleNamespace(ents=ents)


def test_names_with_decomposed_accents_are_found_with_offsets_into_the_text_as_written():
    """'Jose\\u0301 Marti\\u0301nez met Beyonce\\u0301' (accents as separate marks, as macOS and some PDFs write
    them) gave only "José": the recogniser now reads the composed text, offsets mapped back."""
    s = "Jose\u0301 Marti\u0301nez met Beyonce\u0301 in Zu\u0308rich."
    (row,) = find_mentions([s], _ComposedOnlyNer("José Martínez", "Beyoncé"))
    assert [s[m.start:m.end] for m in row] == [m.text for m in row] == ["Jose\u0301 Marti\u0301nez", "Beyonce\u0301"]
    rows = _targets([s, "Marti\u0301nez smiled."], [[Mention(0, 0, 15, s[:15], "PERSON")], []])
    assert rows[1] == [("Marti\u0301nez", "Jose\u0301 Marti\u0301nez", "PERSON")]   # the surname is looked up and joins


def test_spacy_finds_decomposed_names_and_headline_names():
    s = ["Jose\u0301 Marti\u0301nez met Beyonce\u0301 in Zu\u0308rich.", "Marti\u0301nez smiled.",
         "TRUMP SLAMS BIDEN OVER CHINA DEAL", "Donald Trump attacked Joe Biden over a deal with China."]
    rows = article_targets(s)
    assert all(s[m.sentence][m.start:m.end] == m.text for row in rows for m in row)
    assert [m.entity for m in rows[0]][:2] == ["Jose\u0301 Marti\u0301nez", "Beyonce\u0301"]
    assert [m.entity for m in rows[1]] == ["Jose\u0301 Marti\u0301nez"]
    assert [m.entity for m in rows[2]] == ["Donald Trump", "Joe Biden", "China"]


# --- the report's stance table ------------------------------------------------------------------

def test_an_empty_stance_table_says_why():
    """With one outlet, or no names, the note said "no target covered by 2+ outlets"."""
    from inference.report_stance import stance_table
    from tests.test_report_stance import collect, scored

    one = collect(scored("a1", "A", [("Kim Jong Un", -0.5)] * 4), scored("a2", "A", [("Kim Jong Un", 0.1)] * 4))
    assert stance_table(one, resamples=0).note == "one outlet only: the table compares 2+ outlets"
    assert stance_table(one, resamples=0, by="leaning").note == "one leaning only: the table compares 2+ groups"
    nameless = collect(scored("a", "A", []), scored("b", "B", []))
    assert stance_table(nameless, resamples=0).note == "no person, organisation or country named in the author's voice"
    quoted_only = collect(scored("a", "A", [("Kim Jong Un", 0.5, "quote")] * 3), scored("b", "B", []))
    assert stance_table(quoted_only, resamples=0).note.startswith("no person, organisation or country")
