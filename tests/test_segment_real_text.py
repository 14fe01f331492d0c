"""Segmentation of news text as it arrives: wire copy, datelines, wrapped lines, odd characters.

Each case is one a practitioner's file produced and pysbd alone got wrong; offsets must index the
original text in every one of them.
"""
import pytest

from inference.segment import paragraph_spans, segment


def _texts(text):
    segs = segment(text)
    assert all(text[s.start:s.end] == s.text for s in segs)
    return [s.text for s in segs]


def test_no_sentence_starts_with_the_comma_after_an_abbreviation():
    text = "Gov. Gavin Newsom, D-Calif., said on Feb. 3 that the plan was dead. Aides agreed."
    assert _texts(text) == ["Gov. Gavin Newsom, D-Calif., said on Feb. 3 that the plan was dead.", "Aides agreed."]


def test_time_zone_stays_with_its_clock_time():
    assert _texts("Published Jan. 5, 2024, 3:45 p.m. ET\nIt ends at 5 p.m. The vote follows.") == [
        "Published Jan. 5, 2024, 3:45 p.m. ET", "It ends at 5 p.m.", "The vote follows."]


def test_closing_single_quote_at_paragraph_end_is_not_a_sentence():
    assert _texts("\"I'm not going,\" he said. 'It's over.'") == ["\"I'm not going,\" he said.", "'It's over.'"]


def test_capitalised_speaker_after_an_exclamation_stays_with_the_quote():
    text = '"Shameful!" Sen. John Smith shouted at reporters. "Why?" Smith asked. "Go!" Fans cheered.'
    assert _texts(text) == ['"Shameful!" Sen. John Smith shouted at reporters.', '"Why?" Smith asked.',
                            '"Go!"', "Fans cheered."]


def test_two_quotations_in_a_row_are_two_sentences():
    text = 'Officials called it "unacceptable." "We will respond," a spokesman said. “It ended.” “Yes.”'
    assert _texts(text) == ['Officials called it "unacceptable."', '"We will respond," a spokesman said.',
                            "“It ended.”", "“Yes.”"]


def test_an_initialism_that_ends_a_sentence_ends_it_before_a_pronoun_or_determiner():
    assert _texts('He lives in Washington, D.C. He said: "We won." It was in Sunland Park, N.M. That work '
                  'stopped.') == ["He lives in Washington, D.C.", 'He said: "We won."',
                                  "It was in Sunland Park, N.M.", "That work stopped."]
    # a name or title runs on after the initialism: no split
    assert _texts("The U.S. Army and George H.W. Bush met the F.B.I. director. Then they left.") == [
        "The U.S. Army and George H.W. Bush met the F.B.I. director.", "Then they left."]


def test_invisible_characters_are_never_a_sentence_or_its_edge():
    text = "Zero\u200bwidth here.\u200b Next one.\n\u200b\n\ufeff\u00ad\nLast.\u2060"
    segs = segment(text)
    assert [s.text for s in segs] == ["Zero\u200bwidth here.", "Next one.", "Last."]
    assert [s.paragraph for s in segs] == [0, 0, 1]


def test_dividers_are_skipped_and_a_lone_emoji_joins_its_sentence():
    text = "First part ends.\n* * *\n---\nSecond part. Great news! 👍\n"
    segs = segment(text)
    assert [s.text for s in segs] == ["First part ends.", "Second part.", "Great news! 👍"]
    assert [s.paragraph for s in segs] == [0, 1, 1]


WRAPPED = (
    "SENATE PASSES BUDGET\r\n"
    "\r\n"
    "WASHINGTON (AP) -- The Senate on Tuesday passed a sweeping budget\r\n"
    "bill after a marathon overnight session, sending the measure to the\r\n"
    "House, where its fate is uncertain.\r\n"
    "\r\n"
    "\"This is a disgrace,\" said Sen. John Smith, a Republican from\r\n"
    "Texas. \"We will repeal it as soon as we have the votes to do\r\n"
    "it.\"\r\n"
    "   Democrats called it a historic win for working families and\r\n"
    "said it would pass the House.\r\n"
)


def test_hard_wrapped_lines_are_joined_into_paragraphs():
    segs = segment(WRAPPED)
    assert all(WRAPPED[s.start:s.end] == s.text for s in segs)
    assert [" ".join(s.text.split()) for s in segs] == [
        "SENATE PASSES BUDGET",
        "WASHINGTON (AP) -- The Senate on Tuesday passed a sweeping budget bill after a marathon overnight "
        "session, sending the measure to the House, where its fate is uncertain.",
        "\"This is a disgrace,\" said Sen. John Smith, a Republican from Texas.",
        "\"We will repeal it as soon as we have the votes to do it.\"",
        "Democrats called it a historic win for working families and said it would pass the House.",
    ]
    assert [s.paragraph for s in segs] == [0, 1, 2, 2, 3]  # the indented line opens a paragraph


def test_one_paragraph_per_line_is_not_taken_for_wrapping():
    text = ("Senate Passes Budget Bill\nBy Jane Doe and John Smith\nJan. 5, 2024\n"
            "The Senate passed the bill on Tuesday.\nIt goes to the House next week.\n"
            "- A raise for federal workers\n- New funding for border security\n- Money for roads\n")
    assert len(paragraph_spans(text)) == 8
    lists = "Key points of the bill that passed\n- The U.S. raised rates this year\n" * 4
    assert len(paragraph_spans(lists)) == 8


@pytest.mark.parametrize("par", [
    "(CNN) Douglas Haig, an Arizona man, was arrested Friday on a charge of selling ammunition.",
    "“Dirty Bomber” Jose Padilla was a student of Shafayat Mohamed’s at Darul Uloom.",
    "Now Farage has decided that if he can’t beat them, he’ll join them.’",
    "“I told him, ‘You can’t retire until I die,’” Boone said.",
    "Senate passes budget bill",
])
def test_a_paragraph_with_no_inner_sentence_end_is_one_sentence(par):
    """pysbd split each of these (after "(CNN)", a quoted nickname, inside "can’t", before an
    attribution); a paragraph with no sentence punctuation before its end is not asked."""
    assert [s.text for s in segment(par)] == [par]


def test_paragraphs_with_inner_sentence_ends_or_inline_lists_still_go_through_pysbd():
    assert [s.text for s in segment("The vote failed. Critics cheered")] == ["The vote failed.", "Critics cheered"]
    items = "1) decisions close to the student 2) choice of all kinds 3) transparency is essential"
    assert [s.text for s in segment(items)] == ["1) decisions close to the student", "2) choice of all kinds",
                                                "3) transparency is essential"]


def test_a_tweet_whose_attribution_closes_its_own_line_is_one_embed():
    """Pages flattened to text give a tweet as one line: its text, its link, "— Name (@handle) Date";
    it was cut into sentences in the author's voice (MBIC's Wimbledon article)."""
    from inference.segment import embed_flags

    text = ("Wimbledon has been cancelled. The 134th Championships will be staged from 28 June 2021."
            "https://t.co/c0QV2ymGAt — Wimbledon (@Wimbledon) April 1, 2020\nThe club said more later.")
    segs = segment(text)
    assert [s.text for s in segs] == [text.split("\n")[0], "The club said more later."]
    assert embed_flags(segs) == [True, False]
