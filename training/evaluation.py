"""Held-out evaluation of a trained model, beside baselines on the same split.

Calibration first: a temperature fitted on dev logits turns scores into
probabilities, and the decision threshold is tuned on dev. Then every source's
test split is scored: sentence metrics (with ECE), span metrics for sources
with span annotation (PTC: by held-out article; BABE: its biased words), a
TF-IDF + logistic-regression and a TextBlob-subjectivity baseline, and a
lexicon baseline for spans learned from the training split only.
"""
from __future__ import annotations

import itertools

import numpy as np
from datasets import Dataset

from models.span_decoding import decode_spans
from training.baselines import run_baselines
from training.calibration import (apply_temperature, best_threshold, expected_calibration_error, fit_temperature,
                                  softmax_with_temperature)
from training.loop import predict
from training.metrics import classification_metrics
from training.schema import STANCES, TECHNIQUES, column
from training.span_metrics import LexiconBaseline, span_prf, span_report


def sentence_scores(logits: np.ndarray, labels) -> dict:
    return classification_metrics(np.asarray(labels), logits.argmax(-1))


def calibrate(logits: np.ndarray, labels, fixed_threshold: float = 0.0) -> tuple[float, float]:
    """Temperature fitted on dev; the decision threshold fitted there too unless ``fixed_threshold``
    (in (0, 1)) is given. A threshold at calibrated probability 0.5 is the raw argmax: temperature
    scaling keeps logit 0 where it is."""
    labels = np.asarray(labels)
    temperature = fit_temperature(logits, labels)
    threshold = fixed_threshold or best_threshold(apply_temperature(logits, temperature), labels)
    return float(temperature), float(threshold)


def piece_offsets(tokenizer, texts, max_length: int) -> list:
    """Each text's word-piece character offsets, tokenised as the model saw it. Computed once
    by callers that decode the same rows many times (threshold and weight searches)."""
    return tokenizer(list(texts), truncation=True, max_length=max_length, return_offsets_mapping=True)["offset_mapping"]


def predicted_spans(model, tokenizer, texts: list[str], token_probs: list[np.ndarray], threshold: float,
                    technique_weights: dict[str, float] | None = None, offsets=None) -> list[list[dict]]:
    """``texts``: a list, not a dataset column (a column re-reads its rows on every pass, which
    cost a tuning search more than its decoding). ``offsets``: from ``piece_offsets`` (computed
    here when not given)."""
    tags = model.arch.tags
    if offsets is None:
        offsets = piece_offsets(tokenizer, texts, model.arch.max_length)
    return [decode_spans(p, offs, tags, text, threshold, technique_weights)
            for p, offs, text in zip(token_probs, offsets, texts)]


SPAN_THRESHOLDS = (0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6)
TECHNIQUE_WEIGHTS = (1.0, 1.5, 2.0, 3.0, 4.0)


def tune_span_decoding(model, tokenizer, dev: Dataset, bf16: bool, encode,
                       untyped_sources=()) -> tuple[float, dict[str, float]]:
    """Span decoding tuned on dev: first the in-span probability cut that maximises overlap
    span F1 (technique must match; micro over spans), then at that cut one weight per
    technique other than loaded language (the commonest, kept at 1) that maximises the mean
    of the techniques' overlap F1, so the rarer techniques are named when the head leans their way.
    The weights are fitted on the rows of sources whose spans name a technique: BABE's
    biased words are "loaded language" only by convention (``data.untyped_span_sources``)."""
    if dev is None or not len(dev) or not any(len(s) for s in column(dev, "spans")):
        return 0.5, {}
    probs = predict(model, encode(dev), bf16).token_probs
    texts = column(dev, "text")
    offsets = piece_offsets(tokenizer, texts, model.arch.max_length)
    gold = column(dev, "spans")

    def spans(t, w=None):
        return predicted_spans(model, tokenizer, texts, probs, t, w, offsets)

    scores = {t: span_prf(gold, spans(t), mode="overlap")["f1"] for t in SPAN_THRESHOLDS}
    threshold = max(scores, key=lambda t: (scores[t], -abs(t - 0.5)))
    techniques = sorted({t.split("-", 1)[1] for t in model.arch.tags if t != "O"})
    untyped = set(untyped_sources)
    typed = [k for k, s in enumerate(column(dev, "source")) if s not in untyped]
    typed_gold = [gold[k] for k in typed]
    present = [t for t in techniques if any(sp["technique"] == t for row in typed_gold for sp in row)]
    others = [t for t in techniques if t != "loaded_language"]
    if not others or not present:
        return threshold, {}

    def macro(w):
        pred = spans(threshold, w)
        pred = [pred[k] for k in typed]
        return float(np.mean([span_prf(typed_gold, pred, technique=t, mode="overlap")["f1"] for t in present]))

    grid = [dict(zip(others, combo)) for combo in itertools.product(TECHNIQUE_WEIGHTS, repeat=len(others))]
    if len(grid) > 64:  # many techniques: one shared weight for all but loaded language
        grid = [{t: w for t in others} for w in TECHNIQUE_WEIGHTS]
    best = max(grid, key=lambda w: (round(macro(w), 6), -sum(w.values())))
    return threshold, {t: w for t, w in best.items() if w != 1.0}


def stance_scores(logits: np.ndarray, labels, temperature: float | None = None) -> dict:
    """F1m (macro-F1 over negative/neutral/positive, NewsMTSC's measure) and the rest;
    with a temperature also the calibrated probabilities' ECE on the predicted class."""
    labels = np.asarray(labels)
    block = classification_metrics(labels, logits.argmax(-1), label_names=STANCES)
    if temperature is not None:
        probs = softmax_with_temperature(logits, temperature)
        hit = (probs.argmax(-1) == labels).astype(int)
        block["ece_top_class"] = float(expected_calibration_error(probs.max(-1), hit))
    return block


def evaluate_stance(model, data, *, bf16: bool, encode) -> dict:
    """Stance temperature from the NewsMTSC dev rows, F1m on devtest_rw and devtest_mt."""
    dev_logits = predict(model, encode(data.stance_dev), bf16).stance_logits
    dev_stances = column(data.stance_dev, "stance")
    temperature = fit_temperature(dev_logits, np.asarray(dev_stances))
    blocks = {"stance_dev": stance_scores(dev_logits, dev_stances, temperature)}
    for name, test in data.stance_tests.items():
        blocks[name] = stance_scores(predict(model, encode(test), bf16).stance_logits, column(test, "stance"), temperature)
    return {"stance_temperature": float(temperature), "blocks": blocks}


def evaluate_all(model, tokenizer, data, *, bf16: bool, encode, threshold: float = 0.0) -> dict:
    """Every held-out figure of a trained model. ``threshold``: ``train.threshold`` (0 fits it on dev)."""
    stance = evaluate_stance(model, data, bf16=bf16, encode=encode) if data.stance_dev is not None else None
    if data.dev is None:  # a stance-only model
        return {"temperature": 1.0, "threshold": 0.5, "span_threshold": 0.5, "technique_weights": {}, "lexicon": None,
                "stance_temperature": stance["stance_temperature"],
                "metrics": {"dev": stance["blocks"].pop("stance_dev"), "test": stance["blocks"]}}
    dev_enc = encode(data.dev)
    dev_logits = predict(model, dev_enc, bf16).logits
    dev_labels = column(data.dev, "label")
    temperature, threshold = calibrate(dev_logits, dev_labels, threshold)
    metrics = {"dev": _sentence_block(dev_logits, dev_labels, temperature, threshold), "test": {}}
    framing_train = data.train.select([i for i, y in enumerate(column(data.train, "label")) if y >= 0])
    lexicon = None
    span_threshold, technique_weights = (tune_span_decoding(model, tokenizer, data.span_dev, bf16, encode,
                                                            getattr(data, "untyped_sources", ()))
                                         if model.arch.tags else (0.5, {}))
    annotated = zip(column(data.train, "has_spans"), column(data.train, "spans"))
    span_rows = data.train.select([i for i, (has, spans) in enumerate(annotated) if has and spans])
    if model.arch.tags and len(span_rows):
        lexicon = LexiconBaseline().fit(column(span_rows, "text"), column(span_rows, "spans"))
    for name, test in data.tests.items():
        preds = predict(model, encode(test), bf16)
        block = _sentence_block(preds.logits, column(test, "label"), temperature, threshold)
        if name == data.eval_source:
            # same training rows as the model, same dev set for TextBlob's threshold, same test rows
            block["baselines"] = run_baselines(column(framing_train, "text"), column(framing_train, "label"),
                                               column(data.dev, "text"), column(data.dev, "label"),
                                               column(test, "text"), column(test, "label"))
        if model.arch.tags and any(column(test, "has_spans")):
            with_spans = [i for i, h in enumerate(column(test, "has_spans")) if h]
            sub = test.select(with_spans)
            texts, gold = column(sub, "text"), column(sub, "spans")
            pred_spans = predicted_spans(model, tokenizer, texts, [preds.token_probs[i] for i in with_spans],
                                         span_threshold, technique_weights)
            block["spans"] = span_report(gold, pred_spans, texts, TECHNIQUES)
            if lexicon is not None:
                block["spans_lexicon_baseline"] = span_report(gold, lexicon.predict(texts), texts, TECHNIQUES)
        metrics["test"][name] = block
    result = {"temperature": temperature, "threshold": threshold, "span_threshold": span_threshold,
              "technique_weights": technique_weights, "metrics": metrics,
              "lexicon": lexicon.to_json() if lexicon is not None else None}
    if stance is not None:
        metrics["stance_dev"] = stance["blocks"].pop("stance_dev")
        metrics["test"].update(stance["blocks"])
        result["stance_temperature"] = stance["stance_temperature"]
    return result


def _sentence_block(logits: np.ndarray, labels, temperature: float, threshold: float) -> dict:
    labels = np.asarray(labels)
    probs = apply_temperature(logits, temperature)
    block = classification_metrics(labels, (probs >= threshold).astype(int), probs)
    block["ece_uncalibrated"] = float(expected_calibration_error(apply_temperature(logits, 1.0), labels))
    block["macro_f1_argmax"] = float(classification_metrics(labels, logits.argmax(-1))["macro_f1"])
    return block
