"""Finding the build prefix of a Python installation inside text.

A runtime copied from ``/root/.pyenv/versions/3.12.1`` still mentions that folder in
its build configuration. :class:`PrefixMatcher` splits text into literal pieces and
mentions of the old prefix, so callers can substitute whatever suits the file: an
expression computed at import time, ``${pcfiledir}``, or :data:`PLACEHOLDER_PREFIX`.

Two kinds of prefix are told apart:

* a *dedicated* prefix (pyenv, uv, a ``--prefix=/opt/python3.12`` build) holds only
  that Python, so every mention of it refers to the installation and is replaced;
* a *shared* prefix (``/usr``, ``/usr/local``, Homebrew's ``/opt/homebrew``, any
  folder with a ``bin/env``) holds the rest of the system too. There, only mentions of
  the bare prefix, or of a path that exists in the copy (``/usr/bin``,
  ``/usr/lib/python3.11``), are replaced: ``/usr/bin/install`` and
  ``/usr/share/zoneinfo`` keep pointing at the system.

A mention must start a path (``/p``, ``-L/p``, ``--prefix=/p``, ``#!/p``): ``/x/usr``
does not mention ``/usr``, and ``/p.bak`` or ``/p0`` do not mention ``/p``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

#: Where text files of a relocated runtime say the runtime lives, when the real
#: location can only be known at run time (Makefile, ``python3.X-config``,
#: non-executable shebangs). It never exists; tools that need the real folder
#: substitute it (``python3.X-config`` does so itself).
PLACEHOLDER_PREFIX = "/opt/venvstacks-runtime"

#: Prefixes that are never dedicated to a single Python installation.
SHARED_PREFIXES = frozenset(
    {"/usr", "/usr/local", "/opt/local", "/opt/homebrew", "/usr/pkg"}
)

#: Characters that end a path inside configuration values and scripts.
_DELIMITERS = " \t\r\n'\"=:;,(){}[]<>|`$\\"
_TAIL = re.compile(r"/[^" + re.escape(_DELIMITERS) + r"]*")
#: A character that continues a file name, so the match is not the whole prefix.
_NAME_CHARS = re.compile(r"[\w.+@~-]")


def is_shared_prefix(prefix: str) -> bool:
    """Whether a prefix holds more than one Python installation (``/usr`` and the like)."""
    prefix = prefix.rstrip("/") or "/"
    if prefix == "/" or prefix in SHARED_PREFIXES:
        return True
    return Path(prefix, "bin", "env").exists()


@dataclass(frozen=True)
class Mention:
    """One mention of an old prefix inside a text.

    :ivar prefix: the old prefix mentioned.
    :ivar tail: the path that follows it (``/lib/python3.12``), possibly empty.
    """

    prefix: str
    tail: str


@dataclass
class PrefixMatcher:
    """Finds mentions of a runtime's old prefixes in text.

    :ivar old_prefixes: the folders the installation was built for or found in.
    :ivar root: the copy, used to decide which mentions of a shared prefix to keep.
    """

    old_prefixes: Iterable[str]
    root: Path
    _prefixes: list[str] = field(init=False)
    _shared: dict[str, bool] = field(init=False)
    _pattern: re.Pattern[str] | None = field(init=False)

    def __post_init__(self) -> None:
        cleaned = {p.rstrip("/") for p in self.old_prefixes if p.rstrip("/")}
        self._prefixes = sorted(cleaned, key=len, reverse=True)
        self._shared = {p: is_shared_prefix(p) for p in self._prefixes}
        self._pattern = (
            re.compile("|".join(re.escape(p) for p in self._prefixes))
            if self._prefixes
            else None
        )

    @property
    def prefixes(self) -> list[str]:
        """The old prefixes, longest first ("/" is never matched)."""
        return list(self._prefixes)

    def mentions_any(self, text: str) -> bool:
        """Quick test: whether any old prefix occurs in the text at all."""
        return any(prefix in text for prefix in self._prefixes)

    def is_shared(self, prefix: str) -> bool:
        """Whether an old prefix is a shared one (see :func:`is_shared_prefix`)."""
        return self._shared.get(prefix.rstrip("/"), False)

    def split(self, text: str, *, include_shared: bool = True) -> list[str | Mention]:
        """Split text into literal strings and :class:`Mention` objects, in order.

        With ``include_shared=False``, mentions of shared prefixes are left as literals.

        Only the prefix is part of a mention (its ``tail`` stays in the following
        literal), so joining the pieces with each mention written as its ``prefix``
        gives the text back.
        """
        if self._pattern is None:
            return [text] if text else []
        pieces: list[str | Mention] = []
        literal_start = 0
        position = 0
        while True:
            match = self._pattern.search(text, position)
            if match is None:
                break
            start, end = match.span()
            prefix = match.group(0)
            position = end
            if end < len(text) and _NAME_CHARS.match(text, end):
                continue
            shared = self._shared[prefix]
            if shared and not include_shared:
                continue
            if not _starts_token(text, start):
                continue
            tail_match = _TAIL.match(text, end)
            tail = tail_match.group(0) if tail_match else ""
            if shared and tail and not self._in_copy(tail):
                continue
            if text[literal_start:start]:
                pieces.append(text[literal_start:start])
            # Only the prefix itself is replaced; the tail stays literal text.
            pieces.append(Mention(prefix, tail))
            literal_start = end
        if text[literal_start:]:
            pieces.append(text[literal_start:])
        return pieces

    def replace(self, text: str, replacement: str, *, include_shared: bool = True) -> str:
        """Return the text with every mention's prefix replaced by ``replacement``."""
        return "".join(
            piece if isinstance(piece, str) else replacement
            for piece in self.split(text, include_shared=include_shared)
        )

    def _in_copy(self, tail: str) -> bool:
        relative = tail.strip("/")
        if not relative:
            return True
        return os.path.lexists(self.root / relative)


def _starts_token(text: str, start: int) -> bool:
    """Whether a match at ``start`` begins a path (``-L/usr``, ``--prefix=/usr``).

    Rejects matches inside a longer path such as ``/opt/usr/lib``.
    """
    index = start
    while index > 0 and text[index - 1] not in _DELIMITERS:
        index -= 1
    word = text[index:start]
    # "." for the relative copies of the prefix in WASM_* build variables.
    return word in ("", "#!", ".") or (word.startswith("-") and "/" not in word)
