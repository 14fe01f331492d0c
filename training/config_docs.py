"""Each config key's documentation, as written under its field in :mod:`training.config`.

Why: a field's docstring is the one place that says what a key does and which values it takes
(``tests/test_config_docs.py`` keeps every field documented), but Python drops attribute
docstrings at run time, so ``slant train CONFIG --print-config`` could show values only. The
source is read with :mod:`ast`, the way documentation tools read attribute docstrings.
"""
from __future__ import annotations

import ast
import dataclasses
import inspect
import textwrap
from functools import lru_cache

import yaml

__all__ = ["field_docs", "commented_yaml"]

#: The section each config class fills.
SECTIONS = {"ModelConfig": "model", "DataConfig": "data", "TrainConfig": "train"}


@lru_cache(maxsize=1)
def field_docs() -> dict[str, str]:
    """``"section.key"`` -> the docstring under that field in :mod:`training.config`."""
    from training import config

    tree = ast.parse(inspect.getsource(config))
    docs: dict[str, str] = {}
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef) and n.name in SECTIONS):
        for stmt, nxt in zip(cls.body, cls.body[1:]):
            if (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
                    and isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant)
                    and isinstance(nxt.value.value, str)):
                docs[f"{SECTIONS[cls.name]}.{stmt.target.id}"] = inspect.cleandoc(nxt.value.value)
    return docs


def commented_yaml(cfg, width: int = 100) -> str:
    """The resolved config as YAML with each key's documentation as a comment above it; read back,
    it is the same config (comments are ignored)."""
    docs = field_docs()
    lines: list[str] = []
    for section in dataclasses.fields(cfg):
        lines.append(f"{section.name}:")
        group = getattr(cfg, section.name)
        for f in dataclasses.fields(group):
            doc = " ".join(docs.get(f"{section.name}.{f.name}", "").split())
            for line in textwrap.wrap(doc, width - 4):
                lines.append(f"  # {line}")
            value = yaml.safe_dump({f.name: getattr(group, f.name)}, sort_keys=False, width=width)
            lines.extend("  " + v for v in value.rstrip("\n").split("\n"))
    return "\n".join(lines) + "\n"
