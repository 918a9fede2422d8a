"""Shebangs of scripts inside a runtime copy, made independent of its location.

An absolute ``#!/build/prefix/bin/python3.12`` line stops working once the runtime is
moved. Executable Python scripts get instead the ``/bin/sh`` trampoline pip and uv use
for long paths, with the interpreter found relative to the script itself::

    #!/bin/sh
    '''exec' "$(dirname -- "$(realpath -- "$0")")"/python3.12 "$0" "$@"
    ' '''

``sh`` runs the second line (``''`` + ``'exec'`` is ``exec``); Python sees a comment
and a string, then the rest of the script. The script's first statement becomes that
string, so trampolines are only written into scripts, never into importable modules.
"""

from __future__ import annotations

import os
import posixpath
import re
import shlex
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from venvstacks.fsutil import replace_with

_TRAMPOLINE_EXEC = re.compile(
    r"""^'''exec' (?P<interp>'[^']*'|"(?:[^"\\]|\\.)*"|\S+)(?P<args>.*?) "\$0" "\$@"$"""
)
#: Our own relative trampoline (the interpreter path is relative to the script).
_RELATIVE_EXEC = re.compile(
    r"""^'''exec' "\$\(dirname -- "\$\(realpath -- "\$0"\)"\)"/(?P<interp>\S+)"""
    r"""(?P<args>.*?) "\$0" "\$@"$"""
)
_PYTHON_NAME = re.compile(r"^python(\d+(\.\d+)?t?)?$")


@dataclass(frozen=True)
class Shebang:
    """The interpreter line(s) at the top of a script.

    :ivar interpreter: the interpreter path as written (unquoted); for a relative
        trampoline, the path relative to the script's folder.
    :ivar args: extra arguments given to the interpreter.
    :ivar length: how many characters of the script the shebang occupies (including
        its final newline).
    :ivar trampoline: whether it is a ``/bin/sh`` trampoline rather than a ``#!`` line.
    """

    interpreter: str
    args: tuple[str, ...]
    length: int
    trampoline: bool = False


def is_python_name(name: str) -> bool:
    """Whether a file name is a Python interpreter name (``python``, ``python3.12``)."""
    return bool(_PYTHON_NAME.match(name))


def trampoline(script_rel: str, python_rel: str, args: Sequence[str] = ()) -> str:
    """Return the relative ``/bin/sh`` trampoline for a script (three lines).

    :param script_rel: the script's path inside the runtime (POSIX separators).
    :param python_rel: the interpreter's path inside the runtime (``bin/python3.12``).
    :param args: interpreter options to keep (``-E``).
    """
    relative = posixpath.relpath(python_rel, posixpath.dirname(script_rel) or ".")
    options = "".join(" " + shlex.quote(arg) for arg in args)
    return (
        "#!/bin/sh\n"
        f'\'\'\'exec\' "$(dirname -- "$(realpath -- "$0")")"/{shlex.quote(relative)}'
        f'{options} "$0" "$@"\n'
        "' '''\n"
    )


def parse_shebang(text: str) -> Shebang | None:
    """Return the shebang at the top of a script, or None when there is none.

    Recognises ``#!/path/python -opts`` lines and pip/uv style ``/bin/sh`` trampolines.
    """
    if not text.startswith("#!"):
        return None
    lines = text.splitlines(keepends=True)
    first = lines[0]
    if first.rstrip("\r\n").strip() in ("#!/bin/sh", "#! /bin/sh") and len(lines) >= 3:
        second = lines[1].rstrip("\r\n")
        match = _RELATIVE_EXEC.match(second) or _TRAMPOLINE_EXEC.match(second)
        if match and lines[2].rstrip("\r\n") == "' '''":
            try:
                interp = shlex.split(match.group("interp"))[0]
                args = tuple(shlex.split(match.group("args")))
            except (ValueError, IndexError):
                return None
            length = len(first) + len(lines[1]) + len(lines[2])
            return Shebang(interp, args, length, trampoline=True)
    words = first[2:].strip().split()
    if not words:
        return None
    return Shebang(words[0], tuple(words[1:]), len(first))


def retarget_shebang(text: str, shebang: Shebang, script_rel: str, python_rel: str) -> str:
    """Return the script with its shebang replaced by the relative trampoline."""
    new_first = trampoline(script_rel, python_rel, shebang.args)
    rest = text[shebang.length :]
    if shebang.length and not text[: shebang.length].endswith("\n"):
        rest = "\n" + rest
    return new_first + rest


#: Folders of a runtime that installers put scripts in: ``bin``, and ``local/bin`` for
#: Debian's ``posix_local`` install scheme.
SCRIPT_FOLDERS = ("bin", "local/bin")


def make_scripts_relocatable(
    runtime_dir: Path, python_rel: str, script_folders: Sequence[str] = SCRIPT_FOLDERS
) -> list[Path]:
    """Give scripts in the runtime relative trampolines instead of absolute shebangs.

    Only scripts whose shebang runs the runtime's own interpreter through an absolute
    path are changed. Used after packages are installed into a runtime copy
    (installers write absolute shebangs). Scripts already using a relative trampoline,
    binaries, symlinks and scripts for other interpreters are left alone, so calling
    it again changes nothing.

    :param runtime_dir: the runtime copy.
    :param python_rel: its interpreter, relative to ``runtime_dir`` (``bin/python3.12``).
    :param script_folders: the folders to look in, relative to ``runtime_dir``.
    :return: the scripts that were rewritten, sorted.
    """
    python = runtime_dir / python_rel
    aliases = _interpreter_aliases(runtime_dir, python)
    entries = [
        entry
        for folder in script_folders
        if (runtime_dir / folder).is_dir()
        for entry in sorted((runtime_dir / folder).iterdir())
    ]
    changed: list[Path] = []
    for entry in entries:
        if entry.is_symlink() or not entry.is_file():
            continue
        with open(entry, "rb") as stream:
            head = stream.read(2)
        if head != b"#!":
            continue
        data = entry.read_bytes()
        if b"\0" in data:
            continue
        text = data.decode("utf-8", "surrogateescape")
        shebang = parse_shebang(text)
        if shebang is None or not _is_runtime_python(shebang.interpreter, aliases):
            continue
        script_rel = entry.relative_to(runtime_dir).as_posix()
        new_text = retarget_shebang(text, shebang, script_rel, python_rel)
        _replace_file(entry, new_text.encode("utf-8", "surrogateescape"))
        changed.append(entry)
    return changed


def _replace_file(path: Path, data: bytes) -> None:
    """Write a new file over ``path`` (same mode), never through it.

    The old file may be a hard link into the runtime cache.
    """
    mode = stat.S_IMODE(path.stat().st_mode)

    def write(temp: Path) -> None:
        temp.write_bytes(data)
        temp.chmod(mode)

    replace_with(path, write)


def _interpreter_aliases(runtime_dir: Path, python: Path) -> set[str]:
    """Spellings of the runtime's ``bin`` folder an installer may have used."""
    folders = {python.parent.absolute(), runtime_dir.absolute() / "bin"}
    return {os.fspath(f) for f in folders} | {os.path.realpath(f) for f in folders}


def _is_runtime_python(interpreter: str, bin_folders: set[str]) -> bool:
    if not interpreter.startswith("/"):
        return False
    folder, name = os.path.split(os.path.normpath(interpreter))
    if not is_python_name(name):
        return False
    return folder in bin_folders or os.path.realpath(folder) in bin_folders
