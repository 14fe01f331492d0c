"""A trained model is a self-describing folder; ``load_model(folder)`` needs nothing else.

Layout (spaCy-style ``meta.json`` plus a human model card):

    config.json        architecture (base encoder name, adapter, labels, BIO tags)
    model.safetensors  weights: the whole network, or LoRA adapter + heads
    tokenizer.json …   the tokenizer
    meta.json          temperature, threshold, metrics, data + licences, versions
    config.yaml        the resolved training config
    splits.json        which ids were train / dev / test
    README.md          model card

Only safetensors are read, and no remote code ever runs: the architecture is
rebuilt from our own ``FramingModel`` class and the base encoder comes from a
local PyPI package.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import platform
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from models.encoders import load_tokenizer
from models.errors import SlantError
from models.framing_model import Architecture, FramingModel

WEIGHTS = "model.safetensors"
ENCODER_CONFIG = "encoder_config.json"
REQUIRED = ("config.json", WEIGHTS, "meta.json", "tokenizer.json")
RESTORE = "restore the file from a good copy of the folder, or retrain"


def folder_digest(folder: str | Path) -> str:
    """A digest of the files that decide what a folder scores: its weights and ``meta.json``
    (temperatures, thresholds, the stance prior). Caches and resumed runs compare it, so a model
    retrained or recalibrated in place is never mixed with output of the old one."""
    h = hashlib.sha256()
    for name in (WEIGHTS, "meta.json"):
        path = Path(folder) / name
        if path.is_file():
            with open(path, "rb") as f:
                h.update(name.encode() + b"\0" + hashlib.file_digest(f, "sha256").digest())
    return h.hexdigest()[:16]


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _strings(v) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def _count(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


# the fields the loaders and the scorer read: (what a valid value is, the test)
META_FIELDS = {
    "temperature": ("a positive number", lambda v: _number(v) and v > 0),
    "stance_temperature": ("a positive number", lambda v: _number(v) and v > 0),
    "threshold": ("a number from 0 to 1", lambda v: _number(v) and 0 <= v <= 1),
    "span_threshold": ("a number from 0 to 1", lambda v: _number(v) and 0 <= v <= 1),
    "tasks": ("a list of strings", _strings),
}
META_REQUIRED = {"model": ("versions", "temperature", "threshold"), "checkpoint": ("versions",), None: ("versions",)}
"""The keys a meta.json must have, by its ``kind``: a finished model, a checkpoint (``best/`` and ``last/``
while training) or none (``save_model`` called directly). Since the first release ``save_model`` has
written ``versions`` into every folder, and training a temperature and threshold into every finished
model (``tasks`` came later: older folders lack it). Without this check a meta.json emptied to ``{}``
loaded as an uncalibrated model with default thresholds, and said nothing."""
ENCODER_FIELDS = {
    **{k: ("a positive whole number", lambda v: _count(v) and v > 0)
       for k in ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
                 "max_position_embeddings", "type_vocab_size")},
    "layer_norm_eps": ("a positive number", lambda v: _number(v) and v > 0),
    **{k: ("a string", lambda v: isinstance(v, str)) for k in ("model_type", "hidden_act", "position_embedding_type")},
}
"""encoder_config.json's fields (``encoder_config``), from which ``fast_load`` builds the encoder."""
CONFIG_FIELDS = {
    "base": ("a string", lambda v: isinstance(v, str)),
    "adapter": ("a string", lambda v: isinstance(v, str)),
    **{k: ("a list of strings", _strings) for k in ("labels", "tags", "stances", "lora_targets")},
    **{k: ("a positive whole number", lambda v: _count(v) and v > 0) for k in ("max_length", "lora_r")},
    **{k: ("a whole number >= 0", _count) for k in ("lora_frozen_layers", "stance_local", "layers")},
    "lora_alpha": ("a positive number", lambda v: _number(v) and v > 0),
    **{k: ("a number from 0 to 1", lambda v: _number(v) and 0 <= v <= 1) for k in ("dropout", "lora_dropout")},
    **{k: ("true or false", lambda v: isinstance(v, bool)) for k in ("opinion_head", "stance_head", "stance_query")},
}


def check_fields(folder: Path, name: str, data, fields: dict) -> dict:
    """The parsed ``name`` (config.json, meta.json) if it is an object whose known fields have usable
    values. Why here: a hand-edited file that is still valid JSON (``null``, ``"hot"``) would otherwise
    fail later as a Python traceback, or per input deep in scoring, instead of as one model error."""
    if not isinstance(data, dict):
        raise SlantError(f"model folder {folder}: {name} holds {json.dumps(data)[:40]}, not a JSON object; {RESTORE}")
    for key, (want, ok) in fields.items():
        if key in data and not ok(data[key]):
            raise SlantError(f"model folder {folder}: {name} field '{key}' is {json.dumps(data[key])[:40]}, "
                             f"not {want}; {RESTORE}")
    return data


def read_json_file(folder: Path, name: str, fields: dict | None = None) -> dict:
    """The JSON object in the folder's ``name``, its ``fields`` checked (see ``check_fields``); one
    model error when it cannot be read or parsed. Shared by ``load_model`` and ``fast_load``."""
    try:
        data = json.loads((folder / name).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, OSError) as e:
        raise SlantError(f"model folder {folder}: {name} is corrupt ({e.__class__.__name__}); re-copy the folder "
                         "or retrain") from None
    return check_fields(folder, name, data, fields or {})


def require_fields(folder: Path, name: str, data: dict, keys) -> None:
    """One model error naming the keys of ``keys`` that the parsed ``name`` lacks."""
    missing = [k for k in keys if k not in data]
    if missing:
        raise SlantError(f"model folder {folder}: {name} lacks {', '.join(repr(k) for k in missing)}, which Slant "
                         f"always writes there; {RESTORE}")


def read_meta(folder: Path) -> dict:
    """The folder's meta.json, its fields checked, refusing one without the keys Slant always writes
    (``META_REQUIRED``). Shared by ``load_model`` and ``fast_load``."""
    meta = read_json_file(folder, "meta.json", META_FIELDS)
    kind = meta.get("kind")
    if not (kind is None or isinstance(kind, str) and kind in META_REQUIRED):
        raise SlantError(f"model folder {folder}: meta.json field 'kind' is {json.dumps(kind)[:40]}, not "
                         f"\"model\" or \"checkpoint\"; {RESTORE}")
    require_fields(folder, "meta.json", meta, META_REQUIRED[kind])
    return meta


def read_config(folder: Path) -> Architecture:
    """The architecture a whole model folder's ``config.json`` describes, checked. Shared by both
    loaders and the scorer's up-front check of a ``--stance-model`` folder, which needs to know
    whether there is a stance head long before it loads the weights."""
    check_folder(folder)
    return read_architecture(folder, read_json_file(folder, "config.json"))


def read_architecture(folder: Path, config) -> Architecture:
    """``Architecture`` from parsed config.json, refusing unknown or missing fields and unusable values."""
    check_fields(folder, "config.json", config, CONFIG_FIELDS)
    try:
        return Architecture(**config)
    except TypeError:
        raise SlantError(f"model folder {folder}: config.json does not describe a Slant model; retrain or re-copy it") from None


@dataclass
class LoadedModel:
    model: FramingModel
    tokenizer: object
    meta: dict
    folder: Path
    arch: Architecture = field(init=False)

    def __post_init__(self):
        self.arch = self.model.arch

    @property
    def temperature(self) -> float:
        return float(self.meta.get("temperature", 1.0))

    @property
    def threshold(self) -> float:
        return float(self.meta.get("threshold", 0.5))

    @property
    def technique_weights(self) -> dict[str, float]:
        """Per-technique factors for choosing a span's technique (fitted on dev; {} in folders
        from before they existed)."""
        raw = self.meta.get("technique_weights") or {}
        try:
            weights = {str(t): float(w) for t, w in raw.items()}
        except (AttributeError, TypeError, ValueError):
            weights = None
        if weights is None or any(not w > 0 for w in weights.values()):
            raise SlantError(f"model folder {self.folder}: meta.json's technique_weights is not a map of techniques "
                             "to positive numbers; re-copy the folder or retrain")
        return weights


def versions() -> dict:
    import datasets
    import peft
    import sklearn
    import transformers

    return {"python": platform.python_version(), "torch": torch.__version__, "transformers": transformers.__version__,
            "datasets": datasets.__version__, "peft": peft.__version__, "scikit-learn": sklearn.__version__}


def encoder_config(model: FramingModel) -> dict:
    """The encoder's hyper-parameters, so the fast inference encoder can be built without transformers
    (``model_type`` tells ``fast_load`` whether that BERT-only encoder applies)."""
    cfg = model.encoder.config
    d = cfg.to_dict() if hasattr(cfg, "to_dict") else dict(vars(cfg))
    keys = ("model_type", "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
            "max_position_embeddings", "type_vocab_size", "layer_norm_eps", "hidden_act", "position_embedding_type")
    return {k: d[k] for k in keys if k in d}


def weights_to_save(model: FramingModel) -> dict[str, torch.Tensor]:
    """LoRA models save only what training changed; full fine-tunes save everything."""
    if model.arch.adapter == "lora":
        state = {n: p for n, p in model.named_parameters() if p.requires_grad}
    else:
        state = model.state_dict()
    return {k: v.detach().float().contiguous().clone() for k, v in state.items()}


def save_safetensors(tensors: dict, path: Path, metadata: dict | None = None) -> None:
    """``safetensors.torch.save_file``, then the file mode every other file in the folder gets
    (0644 under the usual umask): safetensors writes 0600, so a model folder handed to another
    user (a shared drive, a service account) had weights only its trainer could read."""
    save_file(tensors, str(path), metadata=metadata)
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o666 & ~mask)


def save_model(model: FramingModel, tokenizer, folder: Path, meta: dict, *, config_yaml: str = "",
               splits: dict | None = None, card: str = "") -> Path:
    folder = Path(folder)
    tmp = folder.with_name(folder.name + ".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    save_safetensors(weights_to_save(model), tmp / WEIGHTS, metadata={"format": "pt"})
    (tmp / "config.json").write_text(json.dumps(model.arch.to_dict(), indent=2))
    (tmp / ENCODER_CONFIG).write_text(json.dumps(encoder_config(model), indent=2))
    tokenizer.save_pretrained(str(tmp))
    (tmp / "meta.json").write_text(json.dumps({**meta, "versions": versions()}, indent=2, default=float))
    if config_yaml:
        (tmp / "config.yaml").write_text(config_yaml)
    if splits is not None:
        (tmp / "splits.json").write_text(json.dumps(splits))
    if card:
        (tmp / "README.md").write_text(card)
    # swap in atomically-ish so an interrupted save never leaves a half folder under the real name
    if folder.exists():
        old = folder.with_name(folder.name + ".old")
        if old.exists():
            _rmtree(old)
        folder.rename(old)
        tmp.rename(folder)
        _rmtree(old)
    else:
        tmp.rename(folder)
    return folder


def _rmtree(p: Path) -> None:
    import shutil

    shutil.rmtree(p, ignore_errors=True)


def check_folder(folder: Path) -> None:
    if not folder.is_dir():
        raise SlantError(f"model folder {folder}: no such directory; check the path, or train one with 'slant train CONFIG' (slant score without --model uses the shipped default)")
    missing = [f for f in REQUIRED if not (folder / f).is_file()]
    if missing:
        raise SlantError(f"model folder {folder}: missing {', '.join(missing)}; it is incomplete — copy it again or retrain with 'slant train'")


def load_model(folder: str | Path, *, merge: bool = True) -> LoadedModel:
    folder = Path(folder)
    arch = read_config(folder)
    meta = read_meta(folder)
    try:
        state = load_file(str(folder / WEIGHTS))
    except (SafetensorError, OSError, ValueError) as e:
        raise SlantError(f"model folder {folder}: {WEIGHTS} is corrupt or truncated ({str(e)[:80]}); re-copy the folder or retrain") from None
    if arch.adapter == "lora" and merge:
        # merge the adapter by hand: same weights as peft's merge_and_unload, without importing peft
        model = FramingModel.build(arch, pretrained=True, adapter=False)
        unexpected = model.merge_lora_state(state)
        head_keys = {k for k in model.state_dict() if not k.startswith("encoder.")}
        missing = head_keys - set(state)
    else:
        model = FramingModel.build(arch, pretrained=arch.adapter == "lora")
        unexpected = model.load_state_dict(state, strict=False).unexpected_keys
        missing = set(weights_to_save(model)) - set(state)
    if unexpected or missing:
        raise SlantError(
            f"model folder {folder}: weights do not fit the architecture in config.json "
            f"({len(missing)} missing, {len(unexpected)} unexpected); the folder is mixed up — retrain"
        )
    model.eval()
    if not (folder / "tokenizer_config.json").is_file():  # without it transformers loads a tokenizer with no padding token
        raise SlantError(f"model folder {folder}: missing tokenizer_config.json; it is incomplete — copy it again "
                         "or retrain with 'slant train'")
    try:
        tokenizer = load_tokenizer(folder)
    except Exception as e:  # tokenizer files are from transformers; any failure means a broken folder
        raise SlantError(f"model folder {folder}: tokenizer files are unreadable ({e.__class__.__name__}); re-copy the folder") from None
    return LoadedModel(model=model, tokenizer=tokenizer, meta=meta, folder=folder)
