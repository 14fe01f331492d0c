"""``slant report``: corpus → cached scores → group statistics → one report file.

Thin on purpose: reading is :mod:`inference.report_corpus`, scoring and its
cache :mod:`inference.report_cache`, figures :mod:`inference.report_stats`,
output :mod:`inference.report_html` / :mod:`inference.report_text`. Every
user-fixable problem is a one-line ``SlantError``; bad rows are warnings with
line numbers (or errors under ``--on-bad-row fail``).
"""
from __future__ import annotations

import contextlib
import os
import time
from datetime import datetime, timezone
from pathlib import Path

from rich.console import Console

from inference.report_cache import ScoreCache, ScoringRun, cache_path_for, model_key
from inference.report_collect import Collector
from inference.language import looks_english
from inference.reading import refuse_output_over_input
from inference.report_corpus import open_corpus
from inference.report_html import render_html
from inference.report_stats import build_report
from inference.report_text import render_csv, render_json, render_markdown
from inference.stance_prior import missing_prior_warning
from models.errors import Interrupted, SlantError

__all__ = ["report_main", "FORMATS"]

FORMATS = {"html": render_html, "md": render_markdown, "json": render_json, "csv": render_csv}
_EXTS = {".html": "html", ".htm": "html", ".md": "md", ".markdown": "md", ".json": "json", ".csv": "csv"}


def _format(args) -> str:
    if getattr(args, "format", None):
        return args.format
    ext = Path(args.output).suffix.lower()
    if ext not in _EXTS:
        raise SlantError(f"-o {args.output}: cannot tell the format from '{ext or 'no extension'}'; name it .html, "
                         ".md, .json or .csv, or pass --format")
    return _EXTS[ext]


def report_main(args, *, console: Console | None = None, progress: bool = True) -> int:
    """Run ``slant report`` for parsed ``args``; returns the exit code (0)."""
    console = console or Console(stderr=True, highlight=False)

    def say(level: str, message: str) -> None:
        console.print(f"slant: {level}: {message}", markup=False, soft_wrap=True)

    fmt = _format(args)
    output = Path(args.output)
    if output.is_dir():
        raise SlantError(f"-o {output}: is a folder; give a file name such as {output / ('report.' + fmt)}")
    refuse_output_over_input(output, [args.corpus], writes=[e for e, f in _EXTS.items() if f == fmt])
    resamples = getattr(args, "bootstrap", 1000)
    if resamples is None or resamples < 0:
        raise SlantError(f"--bootstrap {resamples}: must be 0 (no intervals) or more; 1000 is a good default")
    stance_min = getattr(args, "stance_min_mentions", None)
    stance_top = getattr(args, "stance_targets", None)
    if stance_min is not None and stance_min < 1:
        raise SlantError(f"--stance-min-mentions {stance_min}: must be 1 or more; 3 is a good default")
    if stance_top is not None and stance_top < 1:
        raise SlantError(f"--stance-targets {stance_top}: must be 1 or more; 10 is a good default")
    by, story = getattr(args, "by", None) or "outlet", getattr(args, "story", None)
    corpus = open_corpus(args.corpus, by=by, story=story, text_col=getattr(args, "text_col", None) or "text",
                         id_col=getattr(args, "id_col", None),  # None: 'id' when present, else line numbers
                         on_bad_row=getattr(args, "on_bad_row", None) or "skip",
                         warn=lambda m: say("warning", m), exclude=output)
    corpus.check()
    if corpus.kind == "folder" and by != "outlet":
        say("warning", f"{args.corpus}: a folder corpus is grouped by its sub-folders; --by {by} is ignored")

    from inference.scorer import Scorer   # torch is slow to import: only once the arguments are known good

    scorer = Scorer.load(getattr(args, "model", None), stance_model=getattr(args, "stance_model", None),
                         stance_prior=not getattr(args, "raw_stance", False))
    if warning := missing_prior_warning(scorer):
        say("warning", warning)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise SlantError(f"-o {output}: cannot create its folder ({e.strerror or e}); choose a writable path") from None
    cache = ScoreCache(cache_path_for(output), model_key(scorer))
    collector = Collector()
    run = ScoringRun(corpus, scorer, cache, total=corpus.count(), progress=progress, console=console,
                     warn=lambda m: say("warning", m))
    started = time.perf_counter()
    foreign: dict[str, list[int]] = {}   # group -> [articles not looking English, articles]
    try:
        for article, scores in run:
            collector.add(article, scores)
            counts = foreign.setdefault(article.group, [0, 0])
            counts[0] += not looks_english(article.text[:20_000])
            counts[1] += 1
    except KeyboardInterrupt:
        raise Interrupted(f"interrupted after {run.done} articles; their scores are cached in {cache.path} — run the "
                         "same command again to resume") from None
    finally:
        cache.close()
    if not collector.articles:
        raise SlantError(f"{args.corpus}: no article could be scored ({corpus.skipped} rows skipped); see the "
                         "warnings above")
    _note_small_groups(collector, by, say)
    for group, (n, total) in sorted(foreign.items()):
        if n:  # one line per group, not per article: slant score warns per input
            say("warning", f"{by} {group!r}: {n} of {total} articles do not look like English; the model was "
                           "trained on English news, so their scores may mean little")
    meta = {"corpus": str(args.corpus), "model": scorer.model_id, "by": by, "story": story,
            "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "scored": run.scored, "from_cache": run.cached, "failed": run.failed, "skipped_rows": corpus.skipped,
            "cache": str(cache.path), "scoring_seconds": round(time.perf_counter() - started, 2)}
    report = build_report(collector, resamples=resamples, seed=0, stories=bool(story), meta=meta,
                          stance_min_mentions=stance_min, stance_targets=stance_top)
    text = FORMATS[fmt](report, by=by, story=story)
    tmp = output.with_name(output.name + ".tmp")
    try:
        tmp.write_text(text, encoding="utf-8", newline="")
        os.replace(tmp, output)
    except BaseException as e:  # a full disk, or Ctrl-C mid-write: no half-written .tmp is left behind
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        if not isinstance(e, OSError):
            raise
        raise SlantError(f"-o {output}: cannot write the report ({e.strerror or e}); free some space or choose a "
                         f"writable path — the scores are cached in {cache.path}, so a rerun does not score again") from None
    left_out = [f"{n:,} {what if n != 1 else one}" for n, what, one in
                ((corpus.skipped, "rows skipped", "row skipped"), (run.failed, "articles failed", "article failed")) if n]
    console.print(f"slant: wrote {output}: {len(collector.articles):,} article{'s' * (len(collector.articles) != 1)} in "
                  f"{len(report.groups)} group{'s' * (len(report.groups) != 1)} "
                  f"({run.scored:,} scored, {run.cached:,} from the cache {cache.path.name})"
                  + (f"; {', '.join(left_out)} (see the warnings above)" if left_out else ""), markup=False,
                  highlight=False, soft_wrap=True)
    return 0


def _note_small_groups(collector: Collector, by: str, say) -> None:
    counts: dict[str, int] = {}
    for a in collector.articles:
        counts[a.group] = counts.get(a.group, 0) + 1
    single = sorted(g for g, n in counts.items() if n == 1)
    if single:
        shown = ", ".join(repr(g) for g in single[:10]) + (f" and {len(single) - 10} more" if len(single) > 10 else "")
        say("note", f"{by} {shown}: a single article, so no confidence interval (shown as n/a)")
    if len(counts) == 1:
        say("note", f"only one {by} ({next(iter(counts))!r}) in the corpus: nothing to compare it with")
