"""Making a copied Python installation independent of the folder it was built for.

:func:`make_relocatable` rewrites, inside a runtime copy:

* the RUNPATH/RPATH of every ELF file: entries inside the old prefix become
  ``$ORIGIN``-relative (entries elsewhere are left alone);
* ``_sysconfigdata_*.py``: values mentioning the old prefix are computed when the
  module is imported, from the module's own location, so ``sysconfig`` describes the
  copy wherever it is;
* pkg-config files: ``prefix=${pcfiledir}/../..``;
* executable Python scripts (in ``bin/``, and ``python-config.py``) whose shebang runs
  the runtime's own interpreter: the relative ``/bin/sh`` trampoline (see
  :mod:`venvstacks.runtimes.scripts`);
* every other text file still mentioning the old prefix (Makefile, ``python3.X-config``,
  shebangs of non-executable modules): the fixed
  :data:`~venvstacks.runtimes.prefix.PLACEHOLDER_PREFIX` (``/opt/venvstacks-runtime``).

Which mentions of a *shared* prefix such as ``/usr`` count is decided by
:class:`~venvstacks.runtimes.prefix.PrefixMatcher`; in a shared prefix the bodies of
``.py`` files are never touched (``os.defpath`` mentions ``/usr/bin``).
"""

from __future__ import annotations

import ast
import os
import posixpath
import re
import stat
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from venvstacks.platforms import elf
from venvstacks.runtimes.prefix import PLACEHOLDER_PREFIX, Mention, PrefixMatcher
from venvstacks.runtimes.scripts import is_python_name, parse_shebang, retarget_shebang

_SYSCONFIGDATA = re.compile(r"^_sysconfigdata_.*\.py$")
_PC_PREFIX_LINE = re.compile(r"^prefix\s*=")
_PREFIX_NAME = "_PREFIX"


@dataclass(frozen=True)
class RelocationSummary:
    """What :func:`make_relocatable` changed (relative POSIX paths, sorted)."""

    elf_files: tuple[str, ...]
    sysconfigdata: tuple[str, ...]
    pkgconfig: tuple[str, ...]
    scripts: tuple[str, ...]
    text_files: tuple[str, ...]


def make_relocatable(
    root: Path, old_prefixes: Iterable[str], python_rel: str
) -> RelocationSummary:
    """Rewrite a runtime copy so nothing in it depends on the old prefix.

    ELF files also lose their debug sections (see :func:`elf.strip_debug_info`).

    :param root: the runtime copy (modified in place).
    :param old_prefixes: the folders the installation was built for or found in.
    :param python_rel: the copy's interpreter, relative to ``root`` (``bin/python3.12``).
    :raises BuildError: when ``patchelf`` is needed but missing or fails.
    """
    matcher = PrefixMatcher(old_prefixes, root)
    files = sorted(_regular_files(root))
    elf_files = [rel for rel in files if elf.is_elf(root / rel)]
    patched = _relocate_elf_files(root, elf_files, matcher)
    elf.strip_debug_info([root / rel for rel in elf_files])
    kinds = ("sysconfigdata", "pkgconfig", "scripts", "text")
    changed: dict[str, list[str]] = {kind: [] for kind in kinds}
    elf_set = set(elf_files)
    for rel in files:
        if rel in elf_set:
            continue
        kind = _rewrite_text_file(root, rel, python_rel, matcher)
        if kind:
            changed[kind].append(rel)
    return RelocationSummary(
        tuple(patched),
        tuple(changed["sysconfigdata"]),
        tuple(changed["pkgconfig"]),
        tuple(changed["scripts"]),
        tuple(changed["text"]),
    )


def _regular_files(root: Path) -> Iterator[str]:
    for dirpath, _dirnames, filenames in os.walk(root):
        for name in filenames:
            path = Path(dirpath, name)
            if not path.is_symlink():
                yield path.relative_to(root).as_posix()


def relative_search_path(
    entries: Iterable[str], file_rel: str, matcher: PrefixMatcher
) -> tuple[str, ...]:
    """RUNPATH entries with those inside an old prefix made ``$ORIGIN``-relative.

    :param entries: the current entries.
    :param file_rel: the ELF file's path inside the copy (POSIX separators).
    :param matcher: recognises the old prefixes.
    """
    result: list[str] = []
    for entry in entries:
        new_entry = entry
        if "$ORIGIN" not in entry and "${ORIGIN}" not in entry:
            normalized = posixpath.normpath(entry)
            pieces = matcher.split(normalized)
            if pieces and isinstance(pieces[0], Mention):
                inside = "".join(p for p in pieces[1:] if isinstance(p, str))
                if len(pieces) <= 2 and (not inside or inside.startswith("/")):
                    target = inside.strip("/") or "."
                    relative = posixpath.relpath(target, posixpath.dirname(file_rel) or ".")
                    new_entry = "$ORIGIN" if relative == "." else f"$ORIGIN/{relative}"
        if new_entry not in result:
            result.append(new_entry)
    return tuple(result)


def _relocate_elf_files(
    root: Path, elf_files: list[str], matcher: PrefixMatcher
) -> list[str]:
    def relocate(rel: str) -> str | None:
        path = root / rel
        current = elf.read_search_path(path)
        if current is None:
            return None
        entries = relative_search_path(current.entries, rel, matcher)
        if entries == current.entries:
            return None
        _ensure_writable(path)
        elf.set_search_path(path, elf.SearchPath(current.kind, entries))
        return rel

    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        results = list(pool.map(relocate, elf_files))
    return [rel for rel in results if rel is not None]


def _ensure_writable(path: Path) -> None:
    mode = path.stat().st_mode
    if not mode & stat.S_IWUSR:
        path.chmod(mode | stat.S_IWUSR)


def _rewrite_text_file(
    root: Path, rel: str, python_rel: str, matcher: PrefixMatcher
) -> str:
    """Rewrite one file if needed; returns the kind of change, or "" for none."""
    path = root / rel
    data = path.read_bytes()
    if b"\0" in data:
        return ""
    text = data.decode("utf-8", "surrogateescape")
    if not matcher.mentions_any(text):
        return ""
    name = posixpath.basename(rel)
    kind = "text"
    new_text: str | None
    if _SYSCONFIGDATA.match(name):
        new_text = rewrite_sysconfigdata(text, rel, matcher)
        kind = "sysconfigdata"
        if new_text is None:
            new_text, kind = matcher.replace(text, PLACEHOLDER_PREFIX), "text"
    elif name.endswith(".pc"):
        new_text, kind = rewrite_pkgconfig(text, rel, matcher), "pkgconfig"
    else:
        script = is_script(rel) and bool(path.stat().st_mode & stat.S_IXUSR)
        new_text = _retarget_script(text, rel, python_rel, matcher) if script else None
        if new_text is not None:
            kind = "scripts"
            new_text = _replace_outside_code(new_text, rel, matcher)
        else:
            new_text = _replace_outside_code(text, rel, matcher)
    if new_text == text:
        return ""
    _ensure_writable(path)
    path.write_bytes(new_text.encode("utf-8", "surrogateescape"))
    return kind


def is_script(rel: str) -> bool:
    """Whether a file of a runtime is a script rather than an importable module.

    Only scripts get trampolines: a trampoline would become an importable module's
    docstring (Debian's ``base64.py`` is executable and starts with a shebang).
    """
    return rel.startswith("bin/") or posixpath.basename(rel) == "python-config.py"


def _retarget_script(
    text: str, rel: str, python_rel: str, matcher: PrefixMatcher
) -> str | None:
    """Give a script the relative trampoline, if its shebang runs the old Python."""
    shebang = parse_shebang(text)
    if shebang is None:
        return None
    pieces = matcher.split(shebang.interpreter)
    if len(pieces) != 2 or not isinstance(pieces[0], Mention):
        return None
    tail = pieces[1]
    if not isinstance(tail, str) or posixpath.dirname(tail) != "/bin":
        return None
    if not is_python_name(posixpath.basename(tail)):
        return None
    return retarget_shebang(text, shebang, rel, python_rel)


def _replace_outside_code(text: str, rel: str, matcher: PrefixMatcher) -> str:
    """Replace mentions with the placeholder; .py bodies keep shared-prefix mentions."""
    if not rel.endswith(".py"):
        return matcher.replace(text, PLACEHOLDER_PREFIX)
    first, newline, rest = text.partition("\n")
    if not first.startswith("#!"):
        first, newline, rest = "", "", text
    return (
        matcher.replace(first, PLACEHOLDER_PREFIX)
        + newline
        + matcher.replace(rest, PLACEHOLDER_PREFIX, include_shared=False)
    )


def rewrite_pkgconfig(text: str, file_rel: str, matcher: PrefixMatcher) -> str:
    """Rewrite a pkg-config file so its ``prefix`` is found relative to the file.

    :param text: the ``.pc`` file's content.
    :param file_rel: its path inside the copy (``lib/pkgconfig/python-3.12.pc``).
    :param matcher: recognises the old prefixes; other mentions become ``${prefix}``.
    """
    up = posixpath.relpath(".", posixpath.dirname(file_rel) or ".")
    lines = []
    for line in text.splitlines(keepends=True):
        if _PC_PREFIX_LINE.match(line):
            ending = line[len(line.rstrip("\r\n")) :]
            lines.append("prefix=${pcfiledir}" + ("" if up == "." else "/" + up) + ending)
        else:
            lines.append(matcher.replace(line, "${prefix}"))
    return "".join(lines)


def read_build_time_vars(text: str) -> dict[str, object] | None:
    """Return the ``build_time_vars`` dict of a ``_sysconfigdata_*.py`` module, or None.

    Only modules made of that one assignment (plus comments and a docstring) qualify.
    """
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    found: dict[str, object] | None = None
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == "build_time_vars"
            and found is None
        ):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                return None
            if not isinstance(value, dict):
                return None
            found = value
            continue
        return None
    return found


def rewrite_sysconfigdata(text: str, file_rel: str, matcher: PrefixMatcher) -> str | None:
    """Rewrite ``_sysconfigdata_*.py`` to compute prefix-dependent values on import.

    Every value mentioning an old prefix becomes an expression built on the folder
    ``file_rel`` implies (``lib/python3.12/x.py`` is two levels below the prefix).

    :return: the new module source, or None when the module has an unexpected shape.
    """
    values = read_build_time_vars(text)
    if values is None:
        return None
    up = posixpath.relpath(".", posixpath.dirname(file_rel) or ".")
    lines = [
        "# system configuration generated and used by the sysconfig module",
        "# Relocated by venvstacks: values that mentioned the installation folder are",
        "# computed from where this file is.",
        "import os as _os",
        "",
        f"{_PREFIX_NAME} = _os.path.normpath(",
        f"    _os.path.join(_os.path.dirname(_os.path.abspath(__file__)), {up!r})",
        ")",
        "",
        "build_time_vars = {",
    ]
    for key, value in values.items():
        lines.append(f"    {key!r}: {_value_expression(value, matcher)},")
    lines += ["}", "", f"del _os, {_PREFIX_NAME}", ""]
    return "\n".join(lines)


def _value_expression(value: object, matcher: PrefixMatcher) -> str:
    if not isinstance(value, str):
        return repr(value)
    pieces = matcher.split(value)
    if not any(isinstance(piece, Mention) for piece in pieces):
        return repr(value)
    parts = [repr(p) if isinstance(p, str) else _PREFIX_NAME for p in pieces]
    return " + ".join(parts)
