"""Typed reads of raw TOML values, each failure a :class:`SpecError` naming the key path."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from venvstacks.errors import SpecError

_TOML_TYPE_NAMES = {
    bool: "a boolean",
    int: "an integer",
    float: "a float",
    str: "a string",
    list: "an array",
    dict: "a table",
}


def describe(value: object) -> str:
    """Describe a value's TOML type ("an integer", "a table")."""
    for kind, name in _TOML_TYPE_NAMES.items():
        if type(value) is kind:
            return name
    return f"a {type(value).__name__} value"


_BARE_KEY_RE = re.compile(r"[A-Za-z0-9_-]+")


def toml_key(key: str) -> str:
    """Write a key as in a TOML key path: bare when possible, else quoted."""
    if _BARE_KEY_RE.fullmatch(key):
        return key
    return json.dumps(key)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` when a close match exists, else an empty string."""
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {matches[0]!r}?)" if matches else ""


class Table:
    """One raw TOML table being read, with its key path and owning layer for errors."""

    def __init__(self, data: Mapping[str, Any], path: str, layer: str | None = None):
        self.data = data
        self.path = path
        self.layer = layer

    def key_path(self, key: str) -> str:
        """Return the dotted path of a key in this table."""
        return f"{self.path}.{key}" if self.path else key

    def error(self, key: str | None, message: str, hint: str | None = None) -> SpecError:
        """Make a SpecError located at ``key`` of this table (or the table itself)."""
        field = self.key_path(key) if key else (self.path or None)
        return SpecError(message, layer=self.layer, field=field, hint=hint)

    def reject_unknown(self, known: Iterable[str], what: str) -> None:
        """Fail on the first key not in ``known``, suggesting a close match."""
        known = list(known)
        for key in self.data:
            if key not in known:
                raise self.error(
                    toml_key(key),
                    f"unknown {what} key {key!r}{did_you_mean(key, known)}",
                    hint=f"Known keys: {', '.join(sorted(known))}.",
                )

    def has(self, key: str) -> bool:
        """Whether the key is present."""
        return key in self.data

    def _typed(self, key: str, kind: type, default: Any, required: bool) -> Any:
        if key not in self.data:
            if required:
                raise self.error(key, f"missing required key {key!r}")
            return default
        value = self.data[key]
        if type(value) is not kind:
            raise self.error(
                key, f"{key!r} must be {_TOML_TYPE_NAMES[kind]}, not {describe(value)}"
            )
        return value

    def string(self, key: str, *, required: bool = False) -> str | None:
        """Read a string value (None when absent and optional)."""
        value = self._typed(key, str, None, required)
        return value if value is None else str(value)

    def required_string(self, key: str) -> str:
        """Read a string value that must be present and non-empty."""
        value = self._typed(key, str, None, True)
        if not value.strip():
            raise self.error(key, f"{key!r} must not be empty")
        return str(value)

    def boolean(self, key: str, default: bool = False) -> bool:
        """Read a boolean value."""
        return bool(self._typed(key, bool, default, False))

    def string_list(self, key: str, *, required: bool = False) -> list[str] | None:
        """Read an array of strings (None when absent and optional)."""
        value = self._typed(key, list, None, required)
        if value is None:
            return None
        for index, item in enumerate(value):
            if type(item) is not str:
                raise self.error(
                    f"{key}[{index}]",
                    f"entries of {key!r} must be strings, not {describe(item)}",
                )
        return list(value)

    def string_table(self, key: str) -> dict[str, str]:
        """Read a table whose values are all strings (empty when absent)."""
        value = self._typed(key, dict, {}, False)
        for item_key, item in value.items():
            if type(item) is not str:
                raise self.error(
                    f"{key}.{toml_key(item_key)}",
                    f"values of {key!r} must be strings, not {describe(item)}",
                )
        return dict(value)

    def tables(self, key: str) -> list[Table]:
        """Read an array of tables (empty when absent)."""
        value = self._typed(key, list, [], False)
        result = []
        for index, item in enumerate(value):
            item_path = f"{self.key_path(key)}[{index}]"
            if type(item) is not dict:
                raise SpecError(
                    f"entries of {key!r} must be tables, not {describe(item)}",
                    field=item_path,
                    hint=f"Write each entry as a [[{key}]] table.",
                )
            result.append(Table(item, item_path))
        return result

    def table(self, key: str) -> Table | None:
        """Read a nested table (None when absent)."""
        value = self._typed(key, dict, None, False)
        return None if value is None else Table(value, self.key_path(key), self.layer)
