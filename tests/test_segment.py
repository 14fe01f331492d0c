"""Sentence segmentation: exact offsets, news-specific boundary repairs, embeds."""
from pathlib import Path

import pytest

from inference.segment import Segment, embed_flags, is_embed_line, segment

SEED = Path(__file__).resolve().parents[1] / "seeds" / "000_791fc19b09277c11.txt"


@pytest.fixture(scope="module")
def seed():
    text = SEED.read_text(encoding="utf-8")
    return text, segment(text)


def test_offsets_index_the_original(seed):
    text, segs = seed
    assert segs and all(text[s.start:s.end] == s.text for s in segs)
    assert all(s.text == s.text.strip() and s.text for s in segs)
    assert [s.start for s in segs] == sorted(s.start for s in segs)


def test_seed_sentence_is_its_own_segment(seed):
    text, segs = seed
    sent = "There was no indication of timeline or location for the meeting from the NSC comments."
    start = text.index(sent)
    assert Segment(start, start + len(sent), sent, 3) in segs


def test_paragraphs_are_lines(seed):
    text, segs = seed
    n_lines = sum(1 for line in text.splitlines() if line.strip())
    assert segs[-1].paragraph == n_lines - 1
    assert {s.paragraph for s in segs} == set(range(n_lines))


def test_tweet_embed_lines_are_kept_whole(seed):
    text, segs = seed
    line = "— Steve Rosenberg (@BBCSteveR) September 5, 2023"
    (attribution,) = [s for s in segs if s.text == line]
    assert attribution.start == text.index(line)
    assert is_embed_line(line)
    (tweet,) = [s for s in segs if s.text.endswith("pic.twitter.com/Yg63yM71Ix")]
    assert tweet.text.startswith('The Kremlin has "nothing to say"')  # whole tweet, one segment
    flags = embed_flags(segs)
    assert [s.text for s, f in zip(segs, flags) if f] == [tweet.text, line]


def test_tweet_without_link_flagged_by_attribution():
    text = "Body sentence one. Body two.\nWe stand with Ukraine. Always.\n— Jane Doe (@jdoe) May 1, 2022\n"
    segs = segment(text)
    assert [s.text for s in segs] == [
        "Body sentence one.", "Body two.", "We stand with Ukraine. Always.", "— Jane Doe (@jdoe) May 1, 2022"]
    assert embed_flags(segs) == [False, False, True, True]
    assert not is_embed_line("Officials said the U.S. would respond.")


def test_abbreviations_do_not_split():
    text = "The U.S. Army and Gen. Milley met Mr. Smith on Jan. 5 in Washington. He left."
    assert [s.text for s in segment(text)] == [
        "The U.S. Army and Gen. Milley met Mr. Smith on Jan. 5 in Washington.", "He left."]
    assert len(segment("Lt. Gen. Kim met Sen. Warren on Sept. 12 in the U.S. capital.")) == 1


def test_quotations_stay_intact():
    text = 'He said: "I am done. I am leaving. Goodbye." She cried. "Stop!" he shouted.'
    assert [s.text for s in segment(text)] == [
        'He said: "I am done. I am leaving. Goodbye."', "She cried.", '"Stop!" he shouted.']


def test_headlines_and_list_items_are_separate():
    text = "Kremlin Shrugs Off Arms Claims\n\nBody text here. More text.\n- item one\n1. First\n• bullet\n"
    assert [s.text for s in segment(text)] == [
        "Kremlin Shrugs Off Arms Claims", "Body text here.", "More text.", "- item one", "1. First", "• bullet"]
    assert [s.paragraph for s in segment(text)] == [0, 1, 1, 2, 3, 4]


def test_whitespace_and_crlf():
    assert segment("") == [] and segment(" \n\n\t\n") == []
    text = "  First one.  \r\n\r\n Second one. \r\n"
    segs = segment(text)
    assert [s.text for s in segs] == ["First one.", "Second one."]
    assert all(text[s.start:s.end] == s.text for s in segs)


def test_long_paragraph_is_presplit_and_complete():
    base = "The minister spoke on Monday about the budget. Mr. Lee disagreed strongly! "
    text = base * 400  # ~30k characters, one paragraph
    segs = segment(text)
    assert len(segs) == 800
    assert all(text[s.start:s.end] == s.text for s in segs)
    # no character lost: the segments cover all non-space text
    nonspace = lambda t: sum(not c.isspace() for c in t)  # noqa: E731
    assert sum(nonspace(s.text) for s in segs) == nonspace(text)
    blob = "word " * 30_000  # no punctuation at all: still fast and complete
    assert "".join(s.text for s in segment(blob)).count("word") == 30_000
