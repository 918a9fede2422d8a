"""Write ``src/venvstacks/spec/uvkeys.py`` from what the installed uv accepts.

Nothing in the table is typed by hand: every key name, the TOML types each key
accepts and the choices of enumerated values come from uv itself. For each key the
script locks an empty project whose ``[tool.uv]`` holds that key with one probe value
of each TOML type, and reads uv's own parse errors:

* ``unknown field `probe`, expected one of `a`, `b`, ...`` lists the keys;
* ``invalid type: ...`` means the probe's TOML type is refused;
* any other complaint (or none) means the type is accepted;
* ``unknown variant `probe`, expected one of ...`` lists an enumeration's values.

Run it after changing the uv version this project depends on::

    .venv/bin/python tools/uv_settings_table.py
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from uv import find_uv_bin

UV = os.fspath(find_uv_bin())
TARGET = Path(__file__).parents[1] / "src" / "venvstacks" / "spec" / "uvkeys.py"
PROBE_KEY = "venvstacks-probe-key"
#: One probe value per TOML type (TOML text, type name).
PROBES = (
    ("true", "boolean"),
    ("1", "integer"),
    ('"venvstacks-probe"', "string"),
    ('["venvstacks-probe"]', "array"),
    ("[{}]", "array"),
    ("[[]]", "array"),
    ("{}", "table"),
)
#: uv's words for a value of the wrong TOML type.
_WRONG_TYPE = (
    "invalid type:",
    "wanted string or table",
    "wanted exactly 1 element",
    "invalid length",
)
#: serde's lists: "`a`", "`a` or `b`", "one of `a`, `b`, `c`".
_NAMES = r"((?:one of )?`[^`]*`(?:(?:, | or )`[^`]*`)*)"
_LIST_RE = re.compile(r"unknown field `[^`]*`, expected " + _NAMES)
_VARIANT_RE = re.compile(r"unknown variant `venvstacks-probe`, expected " + _NAMES)


def uv_version() -> str:
    out = subprocess.run([UV, "--version"], capture_output=True, text=True, check=True)
    return out.stdout.split()[1]


def parse_complaint(table_text: str) -> str | None:
    """uv's settings parse error for a ``[tool.uv]`` body (None: it parsed)."""
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        (project / "pyproject.toml").write_text(
            '[project]\nname = "probe"\nversion = "0"\nrequires-python = ">=3.8"\n'
            "dependencies = []\n\n[tool.uv]\n" + table_text + "\n",
            "utf-8",
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("UV_")}
        env.update(UV_NO_PROGRESS="1", NO_COLOR="1", UV_PYTHON_DOWNLOADS="never")
        result = subprocess.run(
            [UV, "lock", "--offline", "--no-cache", "--directory", str(project)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
    text = result.stderr
    if "Failed to parse" not in text:
        return None
    return " ".join(line.strip() for line in text.splitlines())


def listed(pattern: re.Pattern[str], text: str) -> tuple[str, ...]:
    match = pattern.search(text)
    if not match:
        return ()
    return tuple(re.findall(r"`([^`]*)`", match[1]))


def probe_key(key: str) -> dict[str, object]:
    types: list[str] = []
    choices: tuple[str, ...] = ()
    item_choices: tuple[str, ...] = ()
    for value, type_name in PROBES:
        complaint = parse_complaint(f"{key} = {value}")
        if complaint is not None and any(words in complaint for words in _WRONG_TYPE):
            continue
        if type_name not in types:
            types.append(type_name)
        found = listed(_VARIANT_RE, complaint or "")
        if type_name == "string" and found:
            choices = found
        if type_name == "array" and found:
            item_choices = found
    keys: tuple[str, ...] = ()
    if "table" in types:
        keys = listed(_LIST_RE, parse_complaint(f"{key} = {{ {PROBE_KEY} = 1 }}") or "")
    elif "array" in types:
        keys = listed(_LIST_RE, parse_complaint(f"{key} = [{{ {PROBE_KEY} = 1 }}]") or "")
    return {
        "types": tuple(types),
        "choices": choices,
        "item_choices": item_choices,
        "keys": keys,
    }


def render(version: str, table: dict[str, dict[str, object]]) -> str:
    lines = [
        '"""What ``[tool.uv]`` accepts: every key, its TOML types and enumerated values.',
        "",
        f"Generated from uv {version} by ``tools/uv_settings_table.py`` (do not edit by",
        "hand: rerun the script after changing the uv dependency). The spec loader checks",
        "the stack's uv settings against this table before uv ever runs.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from collections.abc import Mapping",
        "from dataclasses import dataclass",
        "from types import MappingProxyType",
        "",
        "",
        "@dataclass(frozen=True)",
        "class UvKey:",
        '    """What uv accepts for one ``[tool.uv]`` key."""',
        "",
        '    #: TOML types uv accepts ("boolean", "integer", "string", "array", "table").',
        "    types: tuple[str, ...]",
        "    #: For enumerated string values: the values uv accepts.",
        "    choices: tuple[str, ...] = ()",
        "    #: For arrays of enumerated strings: the values uv accepts for each item.",
        "    item_choices: tuple[str, ...] = ()",
        "    #: For tables (or arrays of tables): the keys uv accepts inside them.",
        "    keys: tuple[str, ...] = ()",
        "",
        "",
        f"UV_VERSION = {version!r}",
        "",
        "UV_KEYS: Mapping[str, UvKey] = MappingProxyType(",
        "    {",
    ]
    for key in sorted(table):
        info = table[key]
        args = [f"types={tuple(info['types'])!r}"]
        for field in ("choices", "item_choices", "keys"):
            if info[field]:
                args.append(f"{field}={tuple(info[field])!r}")  # type: ignore[arg-type]
        lines.append(f"        {key!r}: UvKey({', '.join(args)}),")
    lines += ["    }", ")", ""]
    return "\n".join(lines)


def main() -> int:
    complaint = parse_complaint(f"{PROBE_KEY} = 1")
    keys = listed(_LIST_RE, complaint or "")
    if not keys:
        print(f"uv did not list its settings keys: {complaint}", file=sys.stderr)
        return 1
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        table = dict(zip(keys, pool.map(probe_key, keys), strict=True))
    TARGET.write_text(render(uv_version(), table), "utf-8")
    subprocess.run([sys.executable, "-m", "ruff", "format", str(TARGET)], check=False)
    print(json.dumps({"uv": uv_version(), "keys": len(table)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
