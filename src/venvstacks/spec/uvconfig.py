"""The stack-wide uv settings: ``[tool.uv]`` in the spec, else ``venvstacks.uv.toml``."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from packaging.utils import canonicalize_name

from venvstacks.errors import SpecError
from venvstacks.spec.fields import Table, describe, did_you_mean, toml_key
from venvstacks.spec.model import IndexDefinition, UvConfig, frozen_map
from venvstacks.spec.uvkeys import UV_KEYS, UV_VERSION, UvKey

UV_CONFIG_FILENAME = "venvstacks.uv.toml"

#: What uv accepts as an index name.
_INDEX_NAME_RE = re.compile(r"[A-Za-z0-9._-]+")


def parse_timestamp(value: object) -> dt.datetime | None:
    """Parse an ``exclude-newer`` value as an aware UTC datetime (None if invalid)."""
    if isinstance(value, dt.datetime):
        stamp = value
    elif isinstance(value, dt.date):
        stamp = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            stamp = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    else:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    try:
        return stamp.astimezone(dt.UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00 is before year 1 in UTC
        return None


def format_timestamp(stamp: dt.datetime) -> str:
    """Format an aware datetime as the RFC 3339 UTC text uv expects (whole seconds)."""
    stamp = stamp.astimezone(dt.UTC)
    return (
        f"{stamp.year:04d}-{stamp.month:02d}-{stamp.day:02d}"
        f"T{stamp.hour:02d}:{stamp.minute:02d}:{stamp.second:02d}Z"
    )


def load_uv_config(spec_path: Path, document: Mapping[str, Any]) -> UvConfig:
    """Read the uv settings that apply to a stack."""
    tool = document.get("tool")
    raw: Any = None
    source_file: Path | None = None
    path_prefix = "tool.uv"
    if isinstance(tool, dict) and "uv" in tool:
        raw = tool["uv"]
        source_file = spec_path
    else:
        side_file = spec_path.parent / UV_CONFIG_FILENAME
        if side_file.is_file():
            raw = _read_side_file(side_file)
            source_file = side_file
            path_prefix = UV_CONFIG_FILENAME
    if raw is None:
        return UvConfig()
    if type(raw) is not dict:
        raise SpecError(
            f"{path_prefix} must be a table, not {describe(raw)}", field=path_prefix
        )
    table = Table(raw, path_prefix)
    check_uv_settings(table)
    indexes = _read_indexes(table)
    names = {index.name for index in indexes}
    sources = _read_sources(table, names)
    settings = {k: v for k, v in raw.items() if k not in ("index", "sources")}
    exclude_newer = None
    if "exclude-newer" in settings:
        raw_stamp = settings["exclude-newer"]
        exclude_newer = parse_timestamp(raw_stamp)
        if exclude_newer is None:
            shown = (
                raw_stamp.isoformat()
                if isinstance(raw_stamp, dt.date | dt.time)
                else repr(raw_stamp)
            )
            raise table.error(
                "exclude-newer",
                f"exclude-newer must be an RFC 3339 timestamp or a date, not {shown}",
            )
        settings["exclude-newer"] = format_timestamp(exclude_newer)
    return UvConfig(
        settings=MappingProxyType(settings),
        indexes=tuple(indexes),
        sources=frozen_map(sources),
        exclude_newer=exclude_newer,
        source_file=source_file,
    )


_TOML_TYPES = {
    bool: "boolean",
    int: "integer",
    float: "float",
    str: "string",
    list: "array",
    dict: "table",
}
_ARTICLES = {"array": "an array", "integer": "an integer"}


def _toml_type(value: object) -> str:
    return _TOML_TYPES.get(type(value), "date or time")


def _one_of(types: tuple[str, ...]) -> str:
    return " or ".join(_ARTICLES.get(name, f"a {name}") for name in types)


def check_uv_settings(table: Table) -> None:
    """Check every uv setting against what uv accepts (:mod:`venvstacks.spec.uvkeys`).

    uv ignores the *whole* table when one key is unknown or ill-typed, printing only
    a warning; so every key, its TOML type and enumerated values are checked here.
    """
    for key, value in table.data.items():
        known = UV_KEYS.get(key)
        if known is None:
            raise table.error(
                toml_key(key),
                f"unknown uv setting {key!r}{did_you_mean(key, UV_KEYS)}",
                hint=f"uv {UV_VERSION} would ignore every setting in {table.path} "
                "because of it.",
            )
        if key != "exclude-newer":  # parsed (more strictly) by load_uv_config
            _check_value(table, key, value, known)


def _check_value(table: Table, key: str, value: object, known: UvKey) -> None:
    kind = _toml_type(value)
    if kind not in known.types:
        raise table.error(
            key,
            f"uv setting {key!r} must be {_one_of(known.types)}, not {describe(value)}",
        )
    if known.choices and isinstance(value, str):
        _check_choice(table, key, value, known.choices)
    if known.item_choices and isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, str):
                _check_choice(table, f"{key}[{index}]", item, known.item_choices)
    if not known.keys:
        return
    entries = [(key, value)] if isinstance(value, dict) else []
    if isinstance(value, list):
        entries = [(f"{key}[{i}]", v) for i, v in enumerate(value) if isinstance(v, dict)]
    for path, entry in entries:
        Table(entry, table.key_path(path), table.layer).reject_unknown(
            known.keys, f"uv {key!r}"
        )


def _check_choice(table: Table, key: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise table.error(
            key,
            f"{value!r} is not a valid value of uv setting "
            f"{key.partition('[')[0]!r}{did_you_mean(value, choices)}",
            hint=f"uv accepts: {', '.join(choices)}.",
        )


def _read_side_file(side_file: Path) -> Any:
    try:
        text = side_file.read_text("utf-8-sig")
    except OSError as exc:
        raise SpecError(f"cannot read {side_file.name}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise SpecError(f"{side_file.name} is not UTF-8 text (byte {exc.start})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{side_file.name} is not valid TOML: {exc}") from None
    except RecursionError:
        raise SpecError(f"{side_file.name} nests arrays or tables too deeply") from None


def _read_indexes(table: Table) -> list[IndexDefinition]:
    indexes: list[IndexDefinition] = []
    seen: set[str] = set()
    for entry in table.tables("index"):
        url = entry.required_string("url")
        name = entry.string("name")
        if name is None:
            name = ""
        elif not _INDEX_NAME_RE.fullmatch(name):
            raise entry.error(
                "name",
                f"package index name {name!r} is not valid",
                hint="Use letters, digits, '-', '_' and '.' only.",
            )
        elif name in seen:
            raise entry.error("name", f"package index {name!r} is defined twice")
        seen.add(name)
        indexes.append(
            IndexDefinition(
                name=name,
                url=url,
                explicit=entry.boolean("explicit"),
                default=entry.boolean("default"),
                table=MappingProxyType(dict(entry.data)),
            )
        )
    return indexes


def _read_sources(table: Table, index_names: set[str]) -> dict[str, str]:
    sources_table = table.table("sources")
    if sources_table is None:
        return {}
    sources: dict[str, str] = {}
    for raw_name, ref in sources_table.data.items():
        if type(ref) is not dict or type(ref.get("index")) is not str:
            raise sources_table.error(
                toml_key(raw_name),
                f"the source for {raw_name!r} must be a table like "
                f'{{ index = "name" }}, not {ref!r}',
            )
        index_name = ref["index"]
        if not index_name or index_name not in index_names:
            named = sorted(n for n in index_names if n)
            raise sources_table.error(
                toml_key(raw_name),
                f"the source for {raw_name!r} names an unknown package index "
                f"{index_name!r}{did_you_mean(index_name, named)}",
                hint=_known_indexes_hint(index_names),
            )
        name = canonicalize_name(raw_name)
        if name in sources:
            raise sources_table.error(
                toml_key(raw_name),
                f"more than one source for {name!r} after name normalisation",
            )
        sources[name] = index_name
    return sources


def _known_indexes_hint(index_names: set[str]) -> str:
    named = sorted(n for n in index_names if n)
    if not named:
        return "No named package indexes are defined in [[tool.uv.index]]."
    return f"Defined indexes: {', '.join(named)}."
