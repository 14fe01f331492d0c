"""Model definition, save/load, and the default model shipped inside this package."""
from __future__ import annotations

from pathlib import Path

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "default"


DEFAULT_STANCE_DIR = Path(__file__).resolve().parent / "default_stance"


def default_stance_path() -> Path:
    """The shipped stance model (LoRA adapter + stance head over the same base encoder), used
    for targets when the framing model has no stance head of its own."""
    return DEFAULT_STANCE_DIR


def default_model_path() -> Path:
    """The shipped default model folder (LoRA adapter + heads; the base encoder comes from its PyPI package)."""
    return DEFAULT_MODEL_DIR
