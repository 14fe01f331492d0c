"""What a practitioner reads about training configuration against what the code does: the
README's "Training" section, the header comments of configs/*.yaml and the field comments of
training/config.py. Each of these once drifted from the code (a stale figure, a default that
had moved, a key no longer there), and nothing failed."""
import dataclasses
import re
import shlex
from pathlib import Path

import pytest

from training.config import Config, load_config, parse_dotted_flags
from training.config_docs import field_docs

ROOT = Path(__file__).parents[1]
CONFIGS = sorted((ROOT / "configs").glob("*.yaml"))
KEY = re.compile(r"(?<![\w/.])-*(model|data|train)\.([A-Za-z_]\w*)")
NOT_KEYS = {"model.safetensors", "train.jsonl", "train.lrr"}  # a file name, a NewsMTSC file, the typo example


def training_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text[text.index("\n## Training"):text.index("\n## Comparing outlets")]


def header(path: Path) -> str:
    return "\n".join(line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("#"))


def fields() -> dict[str, dataclasses.Field]:
    return {f"{g.name}.{f.name}": f for g in dataclasses.fields(Config) for f in dataclasses.fields(g.default_factory())}


def test_every_field_has_a_comment_saying_what_it_does():
    undocumented = sorted(set(fields()) - set(field_docs()))
    assert not undocumented, f"add a docstring under these fields in training/config.py: {undocumented}"


@pytest.mark.parametrize("where", ["README", "config.py", *[p.name for p in CONFIGS]])
def test_every_key_the_docs_name_exists(where):
    text = {"README": training_section(), "config.py": "\n".join(field_docs().values()),
            **{p.name: header(p) for p in CONFIGS}}[where]
    named = {f"{m.group(1)}.{m.group(2)}" for m in KEY.finditer(text)} - NOT_KEYS
    assert not sorted(named - set(fields())), f"{where} names keys that do not exist"


def default_of(key: str):
    f = fields()[key]
    return f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default


def test_defaults_the_readme_states_are_the_code_defaults():
    claims = re.findall(r"`(\w+\.\w+)` \(default `?([^;`),]+)", training_section())
    assert len(claims) >= 4, claims  # eval_source, eval_source_repeat, token_loss_weight, threshold
    for key, stated in claims:
        value = default_of(key)
        assert (value == stated) if isinstance(value, str) else value == float(stated), (key, stated)


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_values_a_header_states_are_the_files_values(path):
    """``train.processes: 2`` or ``(train.token_loss_weight 2.0, was 0.5)`` in a header is a claim
    about this file; a flag (``--key v``, ``key=v``) is a suggestion and is not checked."""
    cfg = load_config(path).to_dict()
    for m in re.finditer(r"(?<![\w/.-])(model|data|train)\.(\w+)(?::| )\s*(-?\d[\d.e-]*|true|false)\b", header(path)):
        value = cfg[m.group(1)][m.group(2)]
        stated = {"true": True, "false": False}.get(m.group(3), m.group(3))
        assert value == (stated if isinstance(stated, bool) else type(value)(float(stated))), m.group(0)


def train_commands() -> list[tuple[str, list[str]]]:
    """(where, argv after 'train') of every ``slant train configs/…`` line in the docs."""
    found = []
    for where, text in [("README", training_section()), *[(p.name, header(p)) for p in CONFIGS]]:
        text = re.sub(r"(?<!`)`(?!`)[^`]+`(?!`)", lambda m: m.group(0).replace("\n", " "), text)  # a wrapped `…`
        for line in text.splitlines():
            m = re.search(r"\btrain (configs/\S+\.yaml.*)", line.lstrip("# "))
            if m:
                found.append((where, shlex.split(m.group(1).split(" #")[0].split("`")[0])))
    return found


@pytest.mark.parametrize("where, argv", train_commands(), ids=lambda x: x if isinstance(x, str) else " ".join(x))
def test_every_documented_train_command_resolves(where, argv):
    path, rest, flags = argv[0], argv[1:], []
    while rest:  # what slant train's own parser takes; the rest are dotted config flags
        arg = rest.pop(0)
        if arg == "--out":
            rest.pop(0)
        elif arg not in ("--resume", "--print-config"):
            flags.append(arg)
    load_config(ROOT / path, parse_dotted_flags(flags))


def test_named_sources_are_the_loaders():
    from training import config, data

    assert config.SOURCES == data.SOURCES
