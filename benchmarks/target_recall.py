"""How many of NewsMTSC's annotated target mentions the NER step finds (recall of targets).

NewsMTSC marks the persons whose sentiment was annotated; each such mention should come
out of ``inference.targets.find_mentions`` as a target. Counts a hit when a found mention
overlaps the annotated one, and an exact hit when the offsets match (after the
possessive is stripped on both sides). NewsMTSC also annotates pronouns and descriptions
("he", "the governor"), which a named-entity recogniser does not find by design, so recall
is given on all targets and on named ones. Also times the NER step.

    SLANT_DATA_ROOT=../shared/data python benchmarks/target_recall.py
"""
from __future__ import annotations

import time

from inference.targets import find_mentions, normalise
from training.data_root import resolve_data_root

from save_result import save_result  # benchmarks/save_result.py
from script_args import ScriptParser, run


PRONOUNS = {"he", "she", "him", "her", "his", "hers", "they", "them", "their", "i", "we", "you", "it"}


def is_name(mention: str) -> bool:
    """A named mention ("Pence", "Ivanka Trump"), not a pronoun or a description
    ("the governor"): NER finds names only, so recall is also given on these."""
    words = mention.split()
    return bool(words) and mention.lower() not in PRONOUNS and all(w[:1].isupper() for w in words if w.isalpha())


def main() -> None:
    ScriptParser(description=__doc__.split("\n\n")[0]).parse_args()  # --help prints, not runs
    root = resolve_data_root("")
    from training.data import load_source  # the heavy import, after the data root is checked

    res = {}
    for part in ("devtest_rw", "devtest_mt"):
        ds = load_source("newsmtsc", root, part=part)
        sentences = sorted(set(ds["text"]))
        index = {s: i for i, s in enumerate(sentences)}
        start = time.perf_counter()
        found = find_mentions(sentences)
        seconds = time.perf_counter() - start
        hits = exact = person = named = named_hits = 0
        for row in ds:
            gold = (row["target_start"], row["target_start"] + len(normalise(row["text"][row["target_start"]:row["target_end"]])))
            ms = found[index[row["text"]]]
            over = [m for m in ms if m.start < gold[1] and gold[0] < m.end]
            hits += bool(over)
            exact += any((m.start, m.end) == gold for m in over)
            person += any(m.type == "PERSON" for m in over)
            if is_name(row["text"][row["target_start"]:row["target_end"]]):
                named += 1
                named_hits += bool(over)
        n = len(ds)
        res[part] = {"targets": n, "sentences": len(sentences), "found_overlap": round(hits / n, 4),
                     "found_exact": round(exact / n, 4), "found_as_person": round(person / n, 4),
                     "named_targets": named, "named_found_overlap": round(named_hits / max(1, named), 4),
                     "ner_sentences_per_s": round(len(sentences) / seconds, 1)}
        print(part, res[part])
    print(f"wrote {save_result('target_recall.json', res)}")


if __name__ == "__main__":
    run(main)
