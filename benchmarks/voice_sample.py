"""A seeded random sample of sentences with the voice Slant gives them, to be judged by hand.

The reports charge an outlet only for its own voice (``inference.quotes.voices``: a quotation
with a speech verb, a long quotation, an embedded post, a block quotation are a source's). No
dataset here labels voice, so this draws sentences from MBIC's source articles (full news
texts), as many called ``quote`` as ``author``, and prints each with its paragraph, so a reader
can mark which are wrong; the benchmarks README gives the last judgement.

    SLANT_DATA_ROOT=../shared/data python benchmarks/voice_sample.py [--per-voice 50] [--seed 13]
"""
from __future__ import annotations

import random

from inference.quotes import voices
from inference.segment import embed_flags, segment
from training.data_mbic import mbic_articles
from training.data_root import resolve_data_root

from save_result import save_result  # benchmarks/save_result.py
from script_args import ScriptParser, at_least, run


def main() -> None:
    ap = ScriptParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--per-voice", type=at_least(1), default=50, help="sentences drawn per voice")
    ap.add_argument("--seed", type=at_least(0), default=13)
    args = ap.parse_args()
    pool: dict[str, list[dict]] = {"author": [], "quote": []}
    for art in mbic_articles(resolve_data_root(None)):
        text = art["article"]
        segs = segment(text)
        for seg, voice, embed in zip(segs, voices(text, segs), embed_flags(segs)):
            pool["quote" if embed else voice].append({"outlet": art.get("outlet", ""), "sentence": seg.text})
    rng = random.Random(args.seed)
    sample = {v: rng.sample(rows, min(args.per_voice, len(rows))) for v, rows in pool.items()}
    counts = {v: len(rows) for v, rows in pool.items()}
    print(f"MBIC source articles: {counts['author']} author-voice and {counts['quote']} quote-voice sentences "
          f"({counts['quote'] / max(1, sum(counts.values())):.1%} quotes); a sample of each follows")
    for voice, rows in sample.items():
        for k, row in enumerate(rows):
            print(f"[{voice} {k}] {row['sentence']}")
    print(f"wrote {save_result('voice_sample.json', {'seed': args.seed, 'counts': counts, 'sample': sample})}")


if __name__ == "__main__":
    run(main)
