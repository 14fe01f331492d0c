"""Reading values into a ``Config``: the YAML file, dotted flags, types and key suggestions.

Kept apart from ``training/config.py`` (the fields, their meaning and the cross-field rules)
because it is the part that turns a user's text into values, and every way that text can be
wrong has to end as one line naming the key and what is allowed: a typo, a key under the
wrong section, a duplicate key (YAML keeps the last one silently), a value that is not YAML at
all, or a number that is not finite. It imports nothing from ``training.config``, which calls it.
"""
from __future__ import annotations

import dataclasses
import difflib
import math
import typing
from pathlib import Path

import yaml

from models.errors import SlantError


class _UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses a key given twice in one mapping: PyYAML keeps the last
    silently, so a second ``train:`` section would drop every key of the first."""


def _unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if isinstance(key, typing.Hashable) and key in seen:
            raise _Duplicate(key, seen[key], key_node.start_mark.line + 1, key_node.start_mark.column == 0)
        if isinstance(key, typing.Hashable):
            seen[key] = key_node.start_mark.line + 1
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)


class _Duplicate(Exception):
    def __init__(self, key, first: int, second: int, top: bool):
        super().__init__(key)
        self.key, self.first, self.second, self.top = key, first, second, top


def read_yaml(p: Path, groups: dict[str, list[str]]) -> list[tuple[str, object]]:
    """The file's ``(group.key, value)`` pairs, or one ``SlantError`` line on anything a user
    may have meant otherwise. ``groups`` maps each section to its keys (for the suggestions)."""
    try:
        raw = yaml.load(p.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except _Duplicate as d:
        fix = f"merge them under one '{d.key}:'" if d.top else "keep one"
        raise SlantError(f"config {p}: {'section ' if d.top else 'key '}'{d.key}' is given twice (lines {d.first} "
                         f"and {d.second}); YAML would keep only the last, so {fix}") from None
    except (yaml.YAMLError, UnicodeDecodeError, ValueError) as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        if "'\\t'" in str(getattr(e, "problem", "")):
            raise SlantError(f"config {p}: not valid YAML{where}: a tab; indent with spaces") from None
        raise SlantError(f"config {p}: not valid YAML{where}; fix the syntax (indentation, colons)") from None
    if raw is None:  # an empty or all-comment file would train the code defaults, which no recipe uses
        raise SlantError(f"config {p}: empty; start from a shipped one (configs/default.yaml) or give at least "
                         "one section, e.g. 'train: {epochs: 1}'")
    if not isinstance(raw, dict):
        raise SlantError(f"config {p}: expected a mapping of sections ({', '.join(groups)}), got {type(raw).__name__}")
    pairs = []
    for group, values in raw.items():
        if group not in groups:
            raise SlantError(f"config {p}: unknown config section '{group}'{_section_hint(str(group), groups)}")
        if values is None:
            raise SlantError(f"config {p}: section '{group}' is empty; indent its keys under it "
                             f"('{group}:' then '  key: value') or delete the line")
        if not isinstance(values, dict):
            raise SlantError(f"config {p}: section '{group}' must be a mapping of keys, got {values!r}; write "
                             f"'{group}:' then '  key: value' lines, or '{group}: {{key: value}}'")
        pairs += [(f"{group}.{key}", value) for key, value in values.items()]
    return pairs


def _section_hint(name: str, groups: dict[str, list[str]]) -> str:
    head, _, rest = name.partition(".")
    if rest and head in groups:
        return f" (a dotted key: write '{head}:' and under it '  {rest}: ...')"
    owner = [g for g, keys in groups.items() if name in keys]
    if owner:
        return f" ('{name}' is a key of {owner[0]}: put it under '{owner[0]}:')"
    guess = difflib.get_close_matches(name.lower(), list(groups), n=1)
    return f" (did you mean '{guess[0]}'?)" if guess else f"; sections are {', '.join(groups)}"


def key_hint(dotted: str, groups: dict[str, list[str]]) -> str:
    """' (did you mean 'train.lr'?)' for a near miss: case, '-' for '_', a key under the wrong
    section, a misspelt section or key; else the keys there are."""
    group, _, key = dotted.partition(".")
    norm = key.lower().replace("-", "_")
    if group not in groups:
        guess = difflib.get_close_matches(group.lower(), list(groups), n=1)
        owner = [g for g in [*guess, *groups] if norm in groups[g]]
        if owner:
            return f" (did you mean '{owner[0]}.{norm}'?)"
        return f" (did you mean '{guess[0]}'?)" if guess else f"; sections are {', '.join(groups)}"
    if "." in key:
        return f"; a key has two parts, section.key (e.g. {group}.{groups[group][0]})"
    candidates = [(g, norm) for g in [group, *groups] if norm in groups[g]]  # own section first
    if not candidates:
        for g in [group, *groups]:
            candidates += [(g, k) for k in difflib.get_close_matches(norm, groups[g], n=1, cutoff=0.75)]
    if not candidates:
        candidates = [(group, k) for k in difflib.get_close_matches(norm, groups[group], n=1)]
    if candidates:
        return f" (did you mean '{candidates[0][0]}.{candidates[0][1]}'?)"
    return f"; keys of {group} are {', '.join(groups[group])}"


def coerce(value, hint, where: str):
    """Check/convert one value against its dataclass type hint."""
    origin = typing.get_origin(hint)
    if origin is list:
        (inner,) = typing.get_args(hint)
        if value is None:  # `key: null`, `--key ""`: none
            return []
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list):
            raise SlantError(f"config: {where} must be a list, got {value!r}; write e.g. [a, b] in YAML or a,b on "
                             "the command line ([] for none)")
        return [coerce(v, inner, where) for v in value]
    if hint is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):  # --key 1 reaches here as YAML's int
            return bool(value)
        if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no", "1", "0"):
            return value.lower() in ("true", "yes", "1")
        raise SlantError(f"config: {where} must be true or false, got {value!r}")
    if hint in (int, float):
        kind = "an integer" if hint is int else "a number"
        try:
            f = float(value) if not isinstance(value, bool) else math.nan
        except (TypeError, ValueError, OverflowError):
            f = math.nan
        if not math.isfinite(f) or (hint is int and f != int(f)):  # inf/nan would pass "> 0" checks
            raise SlantError(f"config: {where} must be {kind}, got {value!r}")
        return int(f) if hint is int else f
    if hint is str:
        if isinstance(value, bool):  # YAML 1.1 reads on/off as booleans
            return "on" if value else "off"
        if isinstance(value, (dict, list)):
            raise SlantError(f"config: {where} must be a string, got {value!r}")
        return "" if value is None else str(value)
    return value


def sections(cfg) -> dict[str, list[str]]:
    """Each section of ``cfg`` with its keys, in the dataclasses' order."""
    return {f.name: [g.name for g in dataclasses.fields(getattr(cfg, f.name))] for f in dataclasses.fields(cfg)}


def assign(cfg, dotted: str, value, origin: str, choices: dict, text: str | None = None) -> None:
    """Set ``cfg.<group>.<key>`` from ``group.key``, coerced to the field's type. ``text``: a
    flag's value as typed, which a string field takes when YAML reads a list or mapping in it
    (``--data.root "/data/a b: c"``)."""
    groups = sections(cfg)
    group, _, key = dotted.partition(".")
    if group not in groups or key not in groups[group]:
        raise SlantError(f"{origin}: unknown config key '{dotted}'{key_hint(dotted, groups)}")
    section = getattr(cfg, group)
    hint = typing.get_type_hints(type(section))[key]
    if hint is str and text is not None and isinstance(value, (dict, list)):
        value = text
    coerced = coerce(value, hint, f"{dotted} ({origin})")
    allowed = choices.get((group, key))
    if allowed and coerced not in allowed:
        raise SlantError(f"{origin}: {dotted} must be one of {', '.join(allowed)}, got {coerced!r}")
    setattr(section, key, coerced)


def override_value(text: str):
    """A flag's value read as YAML (``3e-5``, ``true``, ``[a, b]``, ``null``); text that is not
    YAML (``'abc``, ``[1``, ``@home``) is taken as it stands, and the field's type decides."""
    try:
        return yaml.safe_load(text)
    except (yaml.YAMLError, ValueError, TypeError):
        return text


def split_override(item: str) -> tuple[str, str]:
    if "=" not in item:
        raise SlantError(f"override '{item}': expected key=value, e.g. train.lr=3e-5")
    key, value = item.split("=", 1)
    return key.strip().lstrip("-"), value


def parse_dotted_flags(argv: list[str], groups: dict[str, list[str]] | None = None) -> list[str]:
    """Turn ``--train.lr 3e-5`` / ``--train.lr=3e-5`` into ``train.lr=3e-5`` items."""
    out, i = [], 0
    while i < len(argv):
        arg = argv[i]
        if not arg.startswith("--") or "." not in arg.split("=", 1)[0]:
            name = arg.lstrip("-").split("=", 1)[0].replace("-", "_")
            owner = [g for g, keys in (groups or {}).items() if name in keys]
            group, _, key = name.partition(".")
            hint = (f"; did you mean --{owner[0]}.{name}?" if owner else f"; did you mean --{arg.lstrip('-')}?"
                    if key in (groups or {}).get(group, ()) else "; config overrides look like --train.lr 3e-5")
            raise SlantError(f"unknown option '{arg}'{hint}")
        if "=" in arg:
            out.append(arg[2:])
            i += 1
        elif i + 1 < len(argv):
            out.append(f"{arg[2:]}={argv[i + 1]}")
            i += 2
        else:
            raise SlantError(f"option '{arg}' needs a value, e.g. {arg} 3")
    return out
