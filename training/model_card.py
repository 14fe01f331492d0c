"""The model card (README.md in a model folder): what it is, what it was trained on, how well it does."""
from __future__ import annotations

from training.config import Config


def _f(x) -> str:
    return f"{x:.3f}" if isinstance(x, (int, float)) else "–"


def _stance_input(cfg: Config) -> str:
    parts = ["the sentence with the target between « » markers"]
    if cfg.model.stance_query:
        parts.append("then [SEP] and the target's words")
    head = "the opening marker's vector and the sentence mean"
    if cfg.model.stance_local:
        head += f", and the mean of the word pieces within {cfg.model.stance_local} positions of the marker"
    return f"- Input: {', '.join(parts)}; the head reads {head}"


def _split_line(cfg: Config, stance_only: bool) -> str:
    """Where each test figure comes from: a stance model's dev rows are held out of NewsMTSC's train file and
    its tests are the published devtest files (no split of ours); another extra source with spans (PTC) is
    split by whole article, never by sentence."""
    if stance_only:
        return (f"- Split: dev = {cfg.data.dev_size:.0%} of NewsMTSC's train.jsonl, grouped by sentence (seed "
                f"{cfg.train.seed}); test = NewsMTSC's published devtest_rw.jsonl and devtest_mt.jsonl; ids in `splits.json`")
    others = [s for s in cfg.data.train if s != cfg.data.eval_source and s != "newsmtsc"]
    return (f"- Split: `{cfg.data.split}` on `{cfg.data.eval_source}` (seed {cfg.train.seed})"
            + (f"; {', '.join(f'`{s}`' for s in others)} split at random by group (a whole article in PTC), never within one"
               if others else "") + "; ids in `splits.json`")


def model_card(meta: dict, cfg: Config) -> str:
    stance_only = meta.get("tasks") == ["stance"]
    if stance_only:
        intro = ["# Slant stance model", "",
                 "Gives the stance (negative / neutral / positive) a news sentence takes toward a person, organisation",
                 "or country it names. `slant score` pairs it with a framing model for the `targets` field.", ""]
        task_lines = [_stance_input(cfg)]
    else:
        intro = ["# Slant framing model", "",
                 "Scores news sentences for editorial framing (loaded words, labels, exaggeration) against neutral",
                 "reporting, and marks the words that carry it." if meta.get("tags") else
                 "Scores news sentences for editorial framing against neutral reporting.", ""]
        task_lines = [f"- Labels: {', '.join(meta['labels'])}; span tags: {', '.join(meta['tags']) or 'none (no token head)'}",
                      f"- Temperature {meta['temperature']:.3f} (fitted on dev), decision threshold {meta['threshold']:.3f} "
                      + ("(fitted on dev)" if not cfg.train.threshold else "(fixed by train.threshold)")]
    lines = [
        *intro,
        f"- Base encoder: `{meta['base']}`{f', first {cfg.model.layers} layers' if cfg.model.layers else ''} "
        f"({cfg.model.adapter if cfg.model.adapter != 'none' else 'full fine-tune'})",
        *task_lines,
        *([f"- Span decoding (fitted on dev): in-span probability ≥ {meta.get('span_threshold', 0.5):g}; technique weights "
           + (", ".join(f"{t} ×{w:g}" for t, w in sorted(meta.get("technique_weights", {}).items())) or "none")]
          if meta.get("tags") else []),
        _split_line(cfg, stance_only),
        *([f"- Stance head: {', '.join(meta['stances'])} toward a marked target; temperature "
           f"{meta['stance_temperature']:.3f}; `newsmtsc_*` rows below are NewsMTSC's devtest sets (macro-F1 = F1m)"]
          if meta.get("stances") else []),
        "",
        "## Test metrics",
        "",
        *(["| source | n | accuracy | F1m (macro-F1) | ECE (top class) |", "|---|---|---|---|---|"] if stance_only else
          ["| source | n | accuracy | macro-F1 | ECE | TF-IDF+LR macro-F1 | TextBlob macro-F1 |", "|---|---|---|---|---|---|---|"]),
    ]
    for name, block in meta["metrics"]["test"].items():
        base = block.get("baselines", {})
        n = sum(c["support"] for c in block.get("per_class", {}).values())
        row = f"| {name} | {n} | {_f(block.get('accuracy'))} | {_f(block.get('macro_f1'))} | {_f(block.get('ece', block.get('ece_top_class')))} |"
        lines.append(row if stance_only else row + f" {_f(base.get('tfidf_logreg', {}).get('macro_f1'))} | "
                     f"{_f(base.get('textblob_subjectivity', {}).get('macro_f1'))} |")
    span_lines = []
    for name, block in meta["metrics"]["test"].items():
        if "spans" in block:
            lexicon = block.get("spans_lexicon_baseline", {})
            # a technique without gold spans in this source has no F1 to show (0.000 read as a failure):
            # BABE's biased words name no technique, so its one meaningful row is "any"
            rows = [(tech, entry, lexicon.get("per_technique", {}).get(tech, {}))
                    for tech, entry in block["spans"]["per_technique"].items()
                    if entry["overlap"].get("n_gold", 1) > 0 and name not in cfg.data.untyped_span_sources]
            rows.append(("any (technique ignored)", block["spans"]["spans_only"], lexicon.get("spans_only", {})))
            for tech, entry, lex in rows:
                span_lines.append(f"| {name} | {tech} | {_f(entry['overlap']['f1'])} | {_f(entry['exact']['f1'])} | "
                                  f"{_f(entry['token']['f1'])} | {_f(lex.get('overlap', {}).get('f1'))} |")
    lines += ["", "ECE: expected calibration error after the temperature, 15 equal-width bins of the "
              + ("top class's probability." if stance_only else
                 "confidence max(p, 1 − p) of the framing probability p. Baselines on the same rows, each with its "
                 "threshold fitted on dev (TextBlob: subjectivity).")]
    if span_lines:
        lines += ["", "## Span metrics (test)", "", "| source | technique | overlap F1 | exact F1 | token F1 | lexicon overlap F1 |",
                  "|---|---|---|---|---|---|", *span_lines, "",
                  "A technique is listed for a source only where that source has gold spans of it; a source whose "
                  "spans name no technique (BABE's biased words) is scored with techniques ignored."]
    prior = meta.get("article_prior")
    if prior:
        mix = lambda d: " / ".join(f"{k} {v:.1%}" for k, v in d.items())  # noqa: E731
        lines += ["", "## Stance on whole articles", "",
                  f"The scorer moves stance probabilities from the class mix they are calibrated under ({mix(prior['source'])})",
                  f"to whole news articles' ({mix(prior['articles'])}; fitted by EM on the model's own probabilities for",
                  f"{prior.get('fitted_on', 'unlabelled article targets')}): most targets an article names carry no stance.",
                  "`--raw-stance` (`Scorer.load(stance_prior=False)`) turns it off; the test metrics above are without it."]
    lines += ["", "## Training data and licences", ""]
    for d in meta["data"]:
        if "licence" in d:
            lines.append(f"- `{d['source']}`{' (training only)' if d.get('train_only') else ''}: {d['licence']}")
    lines += ["", f"Trained in {meta['train']['seconds']:.0f} s, {meta['train']['steps']} steps (bf16: {meta['train']['bf16']}).",
              "Versions: " + ", ".join(f"{k} {v}" for k, v in (meta.get("versions") or {}).items())
              + " (`meta.json`). Resolved training config: `config.yaml`.", ""]
    return "\n".join(lines)
