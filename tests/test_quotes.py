"""Voice detection: attributed quotations vs. the author's own words."""
from pathlib import Path

import pytest

from inference.quotes import quoted_ranges, target_voices, voices
from inference.segment import segment

SEED = Path(__file__).resolve().parents[1] / "seeds" / "000_791fc19b09277c11.txt"


@pytest.fixture(scope="module")
def seed_voices():
    text = SEED.read_text(encoding="utf-8")
    segs = segment(text)
    return {s.text: v for s, v in zip(segs, voices(text, segs))}


def _voice(seed_voices, prefix):
    (v,) = [v for t, v in seed_voices.items() if t.startswith(prefix)]
    return v


def test_attributed_quote_before_verb(seed_voices):
    assert _voice(seed_voices, '"We have information that Kim Jong Un expects') == "quote"


def test_attributed_quote_after_verb(seed_voices):
    assert _voice(seed_voices, "Last week top White House NSC official John Kirby predicted") == "quote"


def test_scare_quotes_stay_author(seed_voices):
    assert _voice(seed_voices, "Moscow is shrugging of recent accusations") == "author"  # 'pariah'
    assert _voice(seed_voices, "The US National Security Council issued a statement") == "author"
    assert _voice(seed_voices, "During Shoigu's July visit") == "author"  # Korea’s / Russia’s
    assert _voice(seed_voices, "The Kremlin has yet to confirm") == "author"


def test_seed_has_exactly_two_quotes(seed_voices):
    assert sum(v == "quote" for v in seed_voices.values()) == 2


def _run(text):
    segs = segment(text)
    return [(s.text, v) for s, v in zip(segs, voices(text, segs))]


def test_quote_spanning_sentences_and_adjacent_attribution():
    assert _run('"I am done," he said. "I am leaving. Goodbye."\nShe cried.') == [
        ('"I am done," he said.', "quote"),
        ('"I am leaving. Goodbye."', "quote"),
        ("She cried.", "author"),
    ]
    assert _run("“We will win!” the president declared. “No doubt.”") == [
        ("“We will win!” the president declared.", "quote"), ("“No doubt.”", "quote")]


def test_single_quotes_and_apostrophes():
    assert _run("'We are not going anywhere,' the minister told reporters.")[0][1] == "quote"
    assert _run("He said 'no' to the deal.")[0][1] == "author"
    assert quoted_ranges("The players' union and Russia’s army met North Korea's envoy.") == []
    text = "Critics called it a ‘pariah’ state."
    assert [text[a:b] for a, b in quoted_ranges(text)] == ["pariah"]


def test_short_unattributed_quote_is_author_long_one_is_quote():
    assert _run('"Absolutely not."')[0][1] == "author"
    assert _run('"We will never accept a deal that betrays the people of this country."')[0][1] == "quote"


def test_quoted_ranges_exclude_marks_and_nest():
    text = 'He said "they called it \'a farce\' today" and left.'
    assert [text[a:b] for a, b in quoted_ranges(text)] == ["they called it 'a farce' today"]


def test_quote_continued_into_next_paragraph():
    text = '"This is the first paragraph of a long statement\n"And it goes on here," she said.\nNext.'
    ranges = [text[a:b] for a, b in quoted_ranges(text)]
    assert ranges == ["This is the first paragraph of a long statement", "And it goes on here,"]
    # an unmatched quote mark that is not continued is ignored
    assert quoted_ranges('He measured 5" of rain.\nNext line.') == []


def _target_voice(sentence, mention, voice="author"):
    start = sentence.index(mention)
    (v,) = target_voices(sentence, voice, [(start, start + len(mention))])
    return v


def test_reported_speech_gives_its_targets_the_speakers_voice():
    """The issue's example: a source's 'battle for justice' casts Russia positively in the
    source's voice, not the outlet's; the speaker and the author's own clauses stay the author's."""
    seed6 = ("During Shoigu's July visit, North Korea’s Defense Minister, Kang Sun Nam, reportedly said his "
             "government fully supports Russia's \"battle for justice\" and protection of its sovereignty, but "
             "there was no indication that Kim himself invoked the Ukraine conflict directly.")
    assert [_target_voice(seed6, m) for m in ("Shoigu", "Kang Sun Nam", "Russia", "Kim")] == \
        ["author", "author", "quote", "author"]
    assert _target_voice("The NSC first alleged that the two sides trade arms for use in Ukraine.", "Ukraine") == "quote"
    assert _target_voice("Kirby warned Moscow that Kim would pay a price.", "Kim") == "quote"
    assert _target_voice("Kirby warned Moscow that Kim would pay a price.", "Moscow") == "author"  # the addressee
    assert _target_voice("Biden told Putin to stop the war.", "Putin") == "author"
    assert _target_voice("The deal will not last, said Biden.", "Biden") == "author"  # the speaker
    assert _target_voice("The NSC warned that talks are advancing - so clearly Russia is thumbing its nose.",
                         "Russia") == "author"
    assert _target_voice("Moscow is shrugging off accusations that it buys arms from Kim Jong Un.", "Kim") == "author"
    assert _target_voice("Biden is a disgrace.", "Biden", voice="quote") == "quote"


def test_quotation_with_a_long_attribution_is_the_sources():
    """News style names the speaker with a title after the quotation; the quoted share of the
    sentence is then under half, yet the framing ("disgrace") is the senator's, not the outlet's."""
    assert _run('"This is a disgrace," said Sen. John Smith, a Republican from Texas.')[0][1] == "quote"
    assert _run('"We will win," a spokesman for the Ministry of Defence said on Monday.')[0][1] == "quote"
    assert _run('Sen. John Smith, a Republican from Texas, said: "This is a disgrace."')[0][1] == "quote"
    assert _run('"Shameful!" Sen. John Smith shouted at reporters outside the court.')[0][1] == "quote"
    # scare quotes and titles keep the author's voice
    assert _run('Officials called the plan "a disgrace" on Monday, as critics said.')[0][1] == "author"
    assert _run('Officials said the plan was "a disgrace."')[0][1] == "author"
    assert _run('"Pariah" states are dangerous, critics of the regime say.')[0][1] == "author"


def test_quotation_wrapped_across_lines_is_matched():
    text = ("The Senate on Tuesday passed a sweeping budget bill after a long\n"
            "overnight session, and sent the measure on to the House of the\n"
            "Congress. Sen. John Smith, a Republican from Texas, said: \"We\n"
            "will repeal this bill as soon as we have the votes to do it.\"\n"
            "Democrats called it a historic win for the working families.\n")
    segs = segment(text)
    assert [v for v in voices(text, segs)] == ["author", "quote", "author"]
    assert [text[a:b] for a, b in quoted_ranges(text)] == [
        "We\nwill repeal this bill as soon as we have the votes to do it."]


def test_a_short_quotation_with_a_verb_of_interruption_is_speech():
    """'"We're all dead," Biden interrupted.' was the author's sentence (MBIC; the quotation is
    under LONG_QUOTE_WORDS and "interrupted" was no speech verb)."""
    from inference.quotes import voices
    from inference.segment import segment

    text = "The debate grew heated. “We’re all dead,” Biden interrupted. “Not so,” she snapped."
    assert voices(text, segment(text)) == ["author", "quote", "quote"]
