"""What looking an article's found names up again adds to the recogniser's targets.

``inference.targets.propagate_mentions`` adds the mentions that spaCy, reading one
sentence at a time, missed of names it found elsewhere in the same article. This runs
the recogniser on a seeded sample of MBIC's source articles (full news texts), counts
the mentions it found and those propagation adds, times propagation, and writes a random
sample of added mentions with their context, to be judged by hand (the README gives
the last judgement).

    SLANT_DATA_ROOT=../shared/data python benchmarks/target_propagation.py [--articles 120] [--sample 60]
"""
from __future__ import annotations

import copy
import random
import time

from inference.segment import segment
from inference.targets import find_mentions, group_mentions, load_ner, propagate_mentions
from training.data_mbic import mbic_articles
from training.data_root import resolve_data_root

from save_result import save_result  # benchmarks/save_result.py
from script_args import ScriptParser, at_least, run


def main() -> None:
    ap = ScriptParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=at_least(1), default=120)
    ap.add_argument("--sample", type=at_least(0), default=60)
    args = ap.parse_args()
    articles = list(mbic_articles(resolve_data_root(None)))
    random.Random(13).shuffle(articles)
    nlp = load_ner()
    found = added = sentences = 0
    seconds = 0.0
    sample = []
    for art in articles[:args.articles]:
        texts = [s.text for s in segment(art["article"])]
        sentences += len(texts)
        mentions = find_mentions(texts, nlp)
        before = {(m.sentence, m.start) for row in mentions for m in row}
        found += len(before)
        t0 = time.perf_counter()
        propagate_mentions(texts, mentions)
        seconds += time.perf_counter() - t0
        for m in (m for row in group_mentions(copy.deepcopy(mentions)) for m in row):
            if (m.sentence, m.start) not in before:
                added += 1
                text = texts[m.sentence]
                sample.append({"mention": m.text, "entity": m.entity, "type": m.type,
                               "context": f"{text[max(0, m.start - 60):m.start]}[[{m.text}]]{text[m.end:m.end + 40]}"})
    random.Random(1).shuffle(sample)
    result = {"articles": args.articles, "sentences": sentences, "found": found, "added": added,
              "added_share": added / found if found else 0.0, "propagation_seconds": seconds,
              "sample": sample[:args.sample]}
    print(f"{args.articles} MBIC articles, {sentences} sentences: the recogniser found {found} mentions, "
          f"propagation added {added} (+{result['added_share']:.1%}) in {seconds:.2f} s")
    for row in result["sample"]:
        print(f"  {row['mention']!r} -> {row['entity']} [{row['type']}]: {row['context']}")
    print(f"wrote {save_result('target_propagation.json', result)}")


if __name__ == "__main__":
    run(main)
