"""Where the annotated datasets live on this machine.

Never hard-coded: the config's ``data.root`` wins, then ``$SLANT_DATA_ROOT``.
The README says how to fetch each dataset from its source into such a folder.
"""
from __future__ import annotations

import os
from pathlib import Path

from models.errors import SlantError

ENV_VAR = "SLANT_DATA_ROOT"


def resolve_data_root(configured: str = "") -> Path:
    raw = configured or os.environ.get(ENV_VAR, "")
    if not raw:
        raise SlantError(
            f"no data root: set {ENV_VAR}=/path/to/data (slant train and evaluate also take --data.root DIR); "
            "the README lists the datasets and where to get them"
        )
    root = Path(raw).expanduser()
    if not root.is_dir():
        raise SlantError(f"data root {root}: no such directory; point {ENV_VAR} (or slant's --data.root) at the folder "
                         "holding babe/, semeval2020_task11_ptc/ …")
    return root


def require_file(path: Path, dataset: str) -> Path:
    if not path.is_file():
        raise SlantError(
            f"{dataset}: missing {path}; download the dataset into the data root "
            f"(see README, 'Data') or fix --data.root"
        )
    return path
