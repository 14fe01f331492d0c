"""The public scoring API: ``Scorer.load()``, ``scorer.score(text)``, ``scorer.score_sentences(list)``.

Speed comes from three things measured in ``benchmarks/score_speed.py``:
sentences are sorted by length and batched under a token budget (little
padding), LoRA weights are merged into the encoder at load, and on CPUs where bf16
measures faster (``models.precision.bf16_pays``) the network runs as a bf16-weight copy (fp32 elsewhere; bf16
weights beat bf16 autocast over fp32 weights, which casts at every op). A sentence longer
than the model's window is scored in overlapping windows and gets the highest
window score, never silently truncated.
"""
from __future__ import annotations

import inspect
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from inference import ner_process
from inference.batching import length_batches, pad_batch
from inference.quotes import quoted_ranges, target_voices, voices
from inference.records import ArticleScore, SentenceScore, Span, Target, check_threshold
from inference.stance import check_stance_folder, stance_inputs, stance_probs
from inference.stance_prior import read_article_prior, shift
from inference.targets import article_targets, load_ner, ner_wanted, preload_ner
from inference.segment import Segment, embed_flags, segment, word_span
from models.errors import ModelUnavailable, SlantError
from models.fast_bert import FastBert
from models.fast_load import load_for_scoring
from models.model_folder import LoadedModel
from models.packed_linear import pack_linear_layers
from models.span_decoding import decode_spans
from training.calibration import apply_temperature
from models.precision import bf16_network, bf16_pays, bound_onednn_caches


@dataclass
class _Piece:
    """One model input: a window of word pieces of one sentence."""
    sentence: int
    ids: list[int]
    offsets: list[tuple[int, int]]


PRECISIONS = ("auto", "bf16", "fp32", "int8")


class Scorer:
    """Scores text for framing: make one with ``Scorer.load()``, then ``score(text)`` returns an
    ``ArticleScore`` and ``score_sentences(list)`` a list of ``SentenceScore`` (``inference.records``).
    Errors a caller can fix (empty text, a missing or corrupt model folder, a missing NER package)
    raise ``models.errors.SlantError``; an argument of the wrong type raises ``TypeError``.
    ``threshold`` overrides the model folder's decision threshold; ``spans=False`` skips the
    framed words and ``targets=False`` the targets and their stance. ``stance_prior=False`` gives
    the stance head's probabilities as calibrated on NewsMTSC, without moving them to the share of
    targets that carry a stance in whole articles (``inference.stance_prior``; on by default where
    the stance model folder has one).

    ``precision``: "auto" (bf16 where it measures faster on this CPU, else fp32), "bf16", "fp32", or
    "int8" (dynamic int8 quantisation of the linear layers; see benchmarks/score_speed.py).

    ``token_budget``: padded word pieces per forward pass. Why 1,024 and not more: each batch's
    activations are freed and new ones of another shape allocated, and the C allocator keeps the
    freed blocks, so resident memory grows with the largest batches; scoring 3,795 news sentences
    of one long document twice peaked at 1,417 MB with 4,096 and 842 MB with 1,024, in the same
    CPU time (benchmarks/score_memory.py --long 4000)."""

    def __init__(self, loaded: LoadedModel, *, threshold: float | None = None, precision: str = "auto",
                 bf16: bool | None = None, spans: bool = True, targets: bool = True,
                 stance_model: str | Path | LoadedModel | None = None, token_budget: int = 1024, max_batch: int = 128,
                 stance_prior: bool = True):
        if precision not in PRECISIONS:
            raise SlantError(f"precision {precision!r}: use one of {', '.join(PRECISIONS)}")
        if bf16 is not None:
            precision = "bf16" if bf16 else "fp32"
        check_threshold(threshold)
        self.loaded = loaded
        self.threshold = loaded.threshold if threshold is None else threshold
        self.span_threshold = float(loaded.meta.get("span_threshold", 0.5))
        self.technique_weights = loaded.technique_weights
        self.precision = precision
        self._networks: dict[int, torch.nn.Module] = {}  # id(model) -> the network run for it (see _network), made on first use
        self._owned: set[int] = set()  # ids of models this scorer loaded itself: cast in place, not copied
        self.spans = spans
        self.targets = targets
        # the stance model: the framing model's own stance head, else a separate stance model folder
        # (loaded on first use, so `--no-targets` and target-free text never pay for it)
        self._stance = loaded if loaded.arch.stance_head else stance_model
        self._target_models = None  # a Future: the NER pipeline and stance model, loading in the background
        self.token_budget = token_budget
        self.max_batch = max_batch
        self.stance_prior = stance_prior

    @classmethod
    def load(cls, path: str | Path | None = None, *, stance_model: str | Path | None = None, **kwargs) -> "Scorer":
        """``path=None`` loads the default model shipped inside the ``models`` package, paired
        with the shipped stance model. Targets' stance comes from the framing model's own stance
        head if it has one, else ``stance_model`` (a folder, or "default" for the shipped one):
        another ``path`` without a stance head and without ``stance_model`` gives no targets.
        ``kwargs`` go to the constructor (``threshold``, ``precision``, ``spans``, ``targets``, …).

        Returns the ``Scorer``. Raises ``SlantError`` for a model folder that is missing,
        incomplete or corrupt (or a stance-only model as ``path``). Reads local files only."""
        from models import default_model_path, default_stance_path

        try:  # a misspelt option fails now, not after the model and the recogniser have loaded
            inspect.signature(cls).bind(None, **kwargs)
        except TypeError as e:
            raise TypeError(f"Scorer.load: {e}") from None
        path = path or None  # "" (an unset environment variable, say) is the default model, paired as such
        bound_onednn_caches()
        if ner_wanted(kwargs.get("targets", True), path, stance_model):
            preload_ner()
        loaded = load_for_scoring(path or default_model_path())
        if "framing" not in loaded.meta.get("tasks", ["framing"]):
            raise SlantError(f"model folder {loaded.folder} is a stance-only model; pass it as --stance-model "
                             "and keep a framing model (or the default) as --model")
        if stance_model == "default" or (stance_model is None and path is None):
            stance_model = default_stance_path() if default_stance_path().is_dir() else None
        elif stance_model is not None and kwargs.get("targets", True) and not loaded.arch.stance_head:
            check_stance_folder(Path(stance_model))  # now, not at the first target: before any output is opened
        scorer = cls(loaded, stance_model=stance_model, **kwargs)
        if loaded.arch.stance_head and scorer.targets:  # a stance folder is checked as it loads (stance_loaded)
            read_article_prior(loaded.meta, loaded.arch.stances, loaded.folder)
        scorer._owned.add(id(loaded.model))
        return scorer

    @property
    def bf16(self) -> bool:
        """Whether the network runs in bf16: asked for, or "auto" on a CPU where it pays
        (measured once per process on first use, not in the constructor)."""
        return self.precision == "bf16" or (self.precision == "auto" and bf16_pays())

    @property
    def spans_available(self) -> bool:
        """Whether framed words are given: the model has a span head, and ``spans=False`` was not asked."""
        return bool(self.loaded.arch.tags) and self.spans

    @property
    def targets_available(self) -> bool:
        """Targets and stance need a stance model (and the NER package, checked on first use)."""
        return self.targets and self._stance is not None

    def _load_target_models(self):
        """Start loading spaCy and the stance model on a second thread while the framing pass
        runs (torch releases the GIL in its kernels), so a cold ``slant score`` pays for the
        slower of the two, not the sum."""
        if self._target_models is None:
            from concurrent.futures import ThreadPoolExecutor

            def load():
                if not ner_process.running():
                    load_ner()
                return self.stance_loaded()

            pool = ThreadPoolExecutor(1, thread_name_prefix="slant-targets")
            self._target_models = pool.submit(load)
            pool.shutdown(wait=False)  # the thread ends when ``load`` returns
        return self._target_models

    def stance_loaded(self) -> LoadedModel:
        """The stance model, loaded on first use; ``ModelUnavailable`` (a ``SlantError``) if it cannot load."""
        if not isinstance(self._stance, LoadedModel):
            try:
                stance = load_for_scoring(self._stance)
            except SlantError as e:  # every input would fail on it: stop the run
                raise ModelUnavailable(str(e)) from None
            if not stance.arch.stance_head:
                raise ModelUnavailable(f"stance model {stance.folder} has no stance head; train one with configs/stance.yaml")
            try:  # a malformed article_prior would fail every input too
                read_article_prior(stance.meta, stance.arch.stances, stance.folder)
            except SlantError as e:
                raise ModelUnavailable(str(e)) from None
            self._owned.add(id(stance.model))
            self._stance = stance
        return self._stance

    @property
    def model_folders(self) -> list[Path]:
        """The folders whose weights make the output: the framing model, and the stance model
        when targets are on (report caches hash both)."""
        folders = [self.loaded.folder]
        if self.targets_available and self._stance is not self.loaded:
            folders.append(Path(self._stance.folder if isinstance(self._stance, LoadedModel) else self._stance))
        return folders

    @property
    def model_id(self) -> str:
        """Identifies the weights, for caches keyed by model."""
        ids = [str(self.loaded.meta.get("model_id") or self.loaded.folder.resolve())]
        ids += [f"stance:{f.resolve()}" for f in self.model_folders[1:]]
        return ("+".join(ids) + ("" if self.targets_available else "+no-targets") + ("" if self.spans_available else "+no-spans")
                + ("+raw-stance" if self.targets_available and not self.stance_prior else ""))

    # ---- scoring --------------------------------------------------------------------------
    def score_sentences(self, sentences: list[str], doc: str = "-", *, starts: list[int] | None = None,
                        offset: int = 0) -> list[SentenceScore]:
        """Each string is one sentence (no segmentation); voice is left as the author's. The list is
        one document (``doc``): target mentions are grouped, and names looked up again, across all of
        it, as in an article; sentences from unrelated articles belong in separate calls. Offsets
        count from each sentence's start, or from ``starts[i]`` (+ ``offset``) in the text they
        were cut from (``slant score --per-line``).

        Returns one ``SentenceScore`` per string, in order (``[]`` for an empty list). Raises
        ``TypeError`` for a str or non-str items, ``SlantError`` for a blank sentence."""
        if isinstance(sentences, (str, bytes)) or not isinstance(sentences, Iterable):
            raise TypeError("score_sentences takes a list of str (one per sentence); for one text use score(text)")
        sentences = list(sentences)  # once: a generator would be used up by the type check below
        if not all(isinstance(s, str) for s in sentences):
            raise TypeError("score_sentences takes a list of str (one per sentence); for one text use score(text)")
        empty = next((i for i, s in enumerate(sentences) if word_span(s) is None), None)
        if empty is not None:  # as score("") is: a blank or invisible "sentence" got a score of its own
            raise SlantError(f"{doc}: sentence {empty} holds no letter or digit (blank, invisible characters or a "
                             "divider); drop it before scoring")
        if starts is not None and len(starts) != len(sentences):
            raise SlantError(f"score_sentences: {len(sentences)} sentences but {len(starts)} starts")
        at = starts if starts is not None else [0] * len(sentences)
        segs = [Segment(a, a + len(s), s, i) for i, (a, s) in enumerate(zip(at, sentences))]
        probs, spans = self._infer([s.text for s in segs])
        records = [self._record(doc, i, seg, p, sp, "author", offset)
                   for i, (seg, p, sp) in enumerate(zip(segs, probs, spans))]
        self._attach_targets(records)
        return records

    def score(self, text: str, doc: str = "-", *, offset: int = 0,
              quotations: Sequence[tuple[int, int]] = ()) -> ArticleScore:
        """Segment an article and score every sentence; offsets refer to ``text`` (+ ``offset``).

        ``quotations``: ``(start, end)`` ranges of ``text`` that its source marks as quotations
        without quotation marks (an HTML page's ``<blockquote>``, as the reader finds them): a
        sentence wholly inside one is in a source's voice, and so are the targets named there.

        Returns an ``ArticleScore``: ``.sentences`` is a list of ``SentenceScore`` (no sentence
        for text without a word, such as a divider). Raises ``TypeError`` for a non-str ``text``
        (bytes: decode them first), ``SlantError`` for empty or whitespace-only text."""
        if not isinstance(text, str):
            raise TypeError(f"score takes the article as str, not {type(text).__name__}"
                            + ("; decode the bytes first" if isinstance(text, bytes) else ""))
        if not text.strip():
            raise SlantError(f"{doc}: empty text; nothing to score")
        if self.targets_available:
            self._load_target_models()
        segs = segment(text)
        probs, spans = self._infer([s.text for s in segs])
        # embedded social-media posts speak in someone else's voice, like quotations
        embeds = embed_flags(segs)
        voice = ["quote" if embed or any(a <= seg.start and seg.end <= b for a, b in quotations) else v
                 for seg, v, embed in zip(segs, voices(text, segs), embeds)]
        quoted = quoted_ranges(text) + [(int(a), int(b)) for a, b in quotations]
        records = []
        for i, (seg, p, sp) in enumerate(zip(segs, probs, spans)):
            for s in sp:
                s["quoted"] = any(a <= seg.start + s["start"] and seg.start + s["end"] <= b for a, b in quoted)
            records.append(self._record(doc, i, seg, p, sp, voice[i], offset))
        # per sentence, its stretches inside quotation marks (an embedded post is wholly the poster's)
        inside = [[(0, len(seg.text))] if embed else
                  [(max(a, seg.start) - seg.start, min(b, seg.end) - seg.start) for a, b in quoted
                   if a < seg.end and seg.start < b] for seg, embed in zip(segs, embeds)]
        self._attach_targets(records, inside)
        return ArticleScore(doc=doc, sentences=records, threshold=self.threshold, spans_available=self.spans_available,
                            targets_available=self.targets_available)

    def _attach_targets(self, records: list[SentenceScore], quoted: list[list[tuple[int, int]]] | None = None) -> None:
        """Find the article's targets, group their mentions, and give each a stance in the
        mention's voice (``target_voices``: a source's inside quotation marks or reported speech,
        the author's in a quotation's attribution; offsets from the records' ``start``, which
        include any offset). ``quoted``: per record, its ranges inside quotation marks, from the
        whole article (a quotation may open in an earlier sentence); by default each sentence's own."""
        if not self.targets_available or not records:
            return
        texts = [r.text for r in records]
        stance = self._load_target_models().result()
        pairs = [m for row in article_targets(texts) for m in row]
        if not pairs:
            return
        arch = stance.arch
        inputs = stance_inputs(stance.tokenizer, texts, pairs, arch.max_length, query=arch.stance_query)
        probs = stance_probs(self._network(stance.model), inputs, float(stance.meta.get("stance_temperature", 1.0)),
                             False, self.token_budget, self.max_batch)
        prior = read_article_prior(stance.meta, arch.stances, stance.folder) if self.stance_prior else None
        if prior is not None:  # NewsMTSC's class mix moved to whole articles' (inference/stance_prior.py)
            probs = shift(probs, *prior)
        neg, pos = arch.stances.index("negative"), arch.stances.index("positive")
        for m, p in zip(pairs, probs):
            rec = records[m.sentence]
            k = int(p.argmax())
            (voice,) = target_voices(rec.text, rec.voice, [(m.start, m.end)],
                                     None if quoted is None else quoted[m.sentence])
            rec.targets.append(Target(start=rec.start + m.start, end=rec.start + m.end, text=m.text, entity=m.entity,
                                      type=m.type, stance=arch.stances[k], score=round(float(p[k]), 4),
                                      polarity=round(float(p[pos] - p[neg]), 4), voice=voice))

    def _record(self, doc, i, seg: Segment, prob: float, spans: list[dict], voice: str, offset: int) -> SentenceScore:
        score = round(float(prob), 6)  # the label follows the score as written: 0.4999996 is "0.5", framing
        return SentenceScore(
            doc=doc, index=i, paragraph=seg.paragraph, start=seg.start + offset, end=seg.end + offset, text=seg.text,
            score=score, label="framing" if score >= self.threshold else "neutral", voice=voice,
            spans=[Span(start=seg.start + offset + s["start"], end=seg.start + offset + s["end"],
                        text=seg.text[s["start"]:s["end"]], score=round(s["score"], 4), technique=s["technique"])
                   for s in spans],
        )

    def _pieces(self, texts: list[str]) -> list[_Piece]:
        tok = self.loaded.tokenizer
        window = self.loaded.arch.max_length - 2
        enc = tok(texts, add_special_tokens=False, return_offsets_mapping=True)
        cls_id, sep_id = tok.cls_token_id, tok.sep_token_id
        pieces = []
        for i, (ids, offs) in enumerate(zip(enc["input_ids"], enc["offset_mapping"])):
            stride = window * 3 // 4
            starts = range(0, max(1, len(ids) - window + stride), stride) if len(ids) > window else [0]
            for s in starts:
                pieces.append(_Piece(i, [cls_id, *ids[s:s + window], sep_id], [(0, 0), *offs[s:s + window], (0, 0)]))
        return pieces

    @torch.inference_mode()
    def _infer(self, texts: list[str]) -> tuple[np.ndarray, list[list[dict]]]:
        """Calibrated framing probability and decoded spans per text."""
        if not texts:
            return np.zeros(0), []
        pieces = self._pieces(texts)
        model = self.network()
        want_spans = self.spans and self.spans_available
        logits = np.zeros((len(pieces), len(model.arch.labels)), dtype=np.float32)
        tag_probs: list = [None] * len(pieces)
        for batch in length_batches([len(p.ids) for p in pieces], self.token_budget, self.max_batch):
            ids, mask = pad_batch([pieces[k].ids for k in batch])
            out = model(ids, mask, spans=want_spans)
            logits[batch] = out["logits"].float().numpy()
            if want_spans:
                probs = out["token_logits"].float().softmax(-1).numpy()
                for r, k in enumerate(batch):
                    tag_probs[k] = probs[r, :len(pieces[k].ids)]
        scores = apply_temperature(logits, self.loaded.temperature)
        best = np.zeros(len(texts))
        spans: list[list[dict]] = [[] for _ in texts]
        for k, piece in enumerate(pieces):
            best[piece.sentence] = max(best[piece.sentence], scores[k])
            if want_spans:
                found = decode_spans(tag_probs[k], piece.offsets, model.arch.tags, texts[piece.sentence],
                                     self.span_threshold, self.technique_weights)
                spans[piece.sentence] = _merge_spans(spans[piece.sentence], found)
        return best, spans

    def network(self) -> torch.nn.Module:
        """The network this scorer runs for its framing model at its precision (bf16, int8 or
        fp32, linear layers packed), made on first use."""
        return self._network(self.loaded.model)

    def use_network(self, network: torch.nn.Module) -> None:
        """Run ``network`` instead of the one this scorer would make for its framing model, through
        the same batching, calibration and span decoding: benchmarks compare precisions and
        quantisation routes this way. It must take the loaded model's inputs and return its outputs."""
        self._networks[id(self.loaded.model)] = network

    def _network(self, model: torch.nn.Module) -> torch.nn.Module:
        """The network to run for ``model`` at this scorer's precision, made on first use (not in
        the constructor): bf16 weights, int8-quantised linear layers, or fp32. A model the scorer
        loaded itself is changed in place (a copy costs time and memory): cast, and its encoder's
        weights packed (``models.packed_linear``); one handed in is copied for bf16 and int8 and
        used as it is in fp32, so the caller's model never changes."""
        if id(model) not in self._networks:
            owned = id(model) in self._owned
            if self.precision == "int8":
                from torch import nn

                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    network = torch.ao.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)
            elif self.bf16:
                network = model.to(torch.bfloat16) if owned else bf16_network(model)
                pack_linear_layers(network, within=FastBert)
            else:
                network = model
                if owned:
                    pack_linear_layers(network, within=FastBert)
            self._networks[id(model)] = network
        return self._networks[id(model)]


def _merge_spans(existing: list[dict], new: list[dict]) -> list[dict]:
    """Windows overlap; keep one span per character range (the higher score). A span from one
    window may overlap several from another ("radical thugs" against "radical" and "thugs"): it
    replaces all of them if it beats each, else it is dropped, so no two spans ever overlap."""
    out = list(existing)
    for sp in new:
        clashes = [o for o in out if sp["start"] < o["end"] and o["start"] < sp["end"]]
        if all(sp["score"] > o["score"] for o in clashes):
            out = [o for o in out if not any(o is c for c in clashes)] + [sp]
    return sorted(out, key=lambda s: s["start"])

