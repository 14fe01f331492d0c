"""Model definition, save/load, and the default model shipped inside this package."""
from __future__ import annotations

from pathlib import Path

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "default"


def default_model_path() -> Path:
    """The shipped default model folder (LoRA adapter + heads; the base encoder comes from its PyPI package)."""
    return DEFAULT_MODEL_DIR
