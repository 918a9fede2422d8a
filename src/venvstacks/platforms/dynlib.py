"""Which shared libraries a layer needs from its lower layers, and from where.

:func:`resolve_layer_dynlibs` reads every binary of a layer (extension modules, plain
shared libraries, executables) and looks for each library it needs: through its own
search path inside the layer; through the same entries mapped into the lower layers'
site-packages (what one shared site-packages would give); in the runtime's ``lib/``;
on the system; and last among every library the lower layers expose (their
site-packages, minus ``dynlib_exclude``), in linearised order, by file name first and
by SONAME second.

The result says, per file, which libraries come from which lower layer, which are
missing, which are ambiguous (conflicts), and which search-path entries each file
needs: one entry per provider folder, pointing at a link to that folder in the
layer's own ``share/venv/dynlib`` (see :mod:`venvstacks.layers.dynlibs`).

It is a plain function of folders, so it serves the build (env names) and checks of
deployed layers (deployed names) alike.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from venvstacks.platforms.elf import DynamicInfo
from venvstacks.platforms.formats import (
    DYNLIB_FOLDER,
    BinaryFormat,
    is_excluded,
    slot_name,
)


class Platform(Protocol):
    """What resolution needs from a platform (see :class:`~.linux.LinuxPlatform`)."""

    binary_format: BinaryFormat

    def read_binary(self, path: Path) -> DynamicInfo | None:
        """Needed libraries, own name and search path of a binary (None: not one)."""

    def is_system_library(self, name: str) -> bool:
        """Whether the loader finds ``name`` on the system by default."""

    def set_search_path(self, path: Path, kind: str, entries: tuple[str, ...]) -> None:
        """Rewrite a binary's search path."""


@dataclass(frozen=True)
class ProviderLayer:
    """A lower layer whose libraries a layer may use.

    :ivar env_name: the layer's env name (slots and records use it).
    :ivar root: the layer's folder (build folder or deployment).
    :ivar site_dir: its site-packages, relative to ``root``.
    :ivar exclude: its ``dynlib_exclude`` patterns.
    """

    env_name: str
    root: Path
    site_dir: str
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProvidedLibrary:
    """A library file a lower layer exposes; ``path`` is relative to its layer folder."""

    layer: str
    path: str
    slot: str


@dataclass(frozen=True)
class LibraryUse:
    """``file`` (relative to the layer folder) loads ``library`` from ``provider``."""

    file: str
    library: str
    provider: ProvidedLibrary
    by_soname: bool = False


@dataclass(frozen=True)
class DynlibConflict:
    """Lower layers expose ``library`` with different content."""

    library: str
    candidates: tuple[ProvidedLibrary, ...]
    users: tuple[str, ...]

    def describe(self) -> str:
        """One line: the library, every candidate and who needs it."""
        where = ", ".join(f"{c.layer}:{c.path}" for c in self.candidates)
        return f"{self.library} differs in {where} (needed by {', '.join(self.users)})"


@dataclass(frozen=True)
class SearchPathPlan:
    """The search path one file should have: its own entries plus ours."""

    file: str
    kind: str
    current: tuple[str, ...]
    kept: tuple[str, ...]
    added: tuple[str, ...]

    @property
    def wanted(self) -> tuple[str, ...]:
        """The entries the file should end up with."""
        return (*self.kept, *self.added)

    @property
    def changes(self) -> bool:
        """Whether the file must be rewritten."""
        return self.wanted != self.current


@dataclass(frozen=True)
class DynlibResolution:
    """The outcome of :func:`resolve_layer_dynlibs` for one layer."""

    uses: tuple[LibraryUse, ...] = ()
    missing: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    conflicts: tuple[DynlibConflict, ...] = ()
    search_paths: tuple[SearchPathPlan, ...] = ()

    @property
    def provider_layers(self) -> tuple[str, ...]:
        """Env names of the lower layers whose libraries are used, first use first."""
        return tuple(dict.fromkeys(use.provider.layer for use in self.uses))

    def links(self) -> tuple[tuple[str, str, str], ...]:
        """What the layer's dynlib folder holds: ``(name, layer, path)``, sorted.

        A folder link has the provider's env name and the folder's path in it; a
        SONAME alias has an empty layer and its target inside the dynlib folder.
        """
        found: dict[str, tuple[str, str]] = {}
        for use in self.uses:
            provider = use.provider
            found[provider.slot] = (provider.layer, posixpath.dirname(provider.path))
            if use.by_soname:
                name = posixpath.basename(provider.path)
                found[use.library] = ("", f"{provider.slot}/{name}")
        return tuple((name, *found[name]) for name in sorted(found))


def resolve_layer_dynlibs(
    layer_root: Path,
    providers: Sequence[ProviderLayer],
    platform: Platform,
    *,
    runtime_root: Path | None = None,
    site_dir: str | None = None,
) -> DynlibResolution:
    """Resolve the libraries every binary of a layer needs (see the module docs).

    :param layer_root: the layer's folder.
    :param providers: its lower layers in linearised order (runtime last).
    :param platform: reads binaries and knows the system's libraries.
    :param runtime_root: the runtime layer's folder: its ``lib/`` satisfies needs.
    :param site_dir: the layer's site-packages (relative). A search-path entry
        pointing inside it is also looked up at the same place in the lower layers'
        site-packages, before the system: the library the file would load if all
        the layers' packages shared one site-packages.
    """
    fmt = platform.binary_format
    own_folder = os.path.normpath(layer_root / DYNLIB_FOLDER)
    binaries: dict[str, DynamicInfo] = {}
    for rel in _files(layer_root, skip=DYNLIB_FOLDER):
        if not fmt.may_be_binary(rel):
            continue
        info = platform.read_binary(layer_root / rel)
        if info is not None and (info.needed or info.search_path):
            binaries[rel] = info
    pending: dict[str, list[str]] = {}
    kept_entries: dict[str, tuple[str, ...]] = {}
    uses: list[LibraryUse] = []
    site_root = os.path.normpath(layer_root / site_dir) if site_dir else ""
    for rel, info in binaries.items():
        origin = os.fspath((layer_root / rel).parent)
        entries = info.search_path.entries if info.search_path else ()
        kept = tuple(e for e in entries if not _inside(_expand(e, origin), own_folder))
        kept_entries[rel] = kept
        dirs = [d for d in (_expand(e, origin) for e in kept) if d]
        for name in info.needed:
            if "/" in name or any(Path(d, name).exists() for d in dirs):
                continue
            mapped = _mapped(name, dirs, site_root, providers)
            if mapped is not None:
                uses.append(LibraryUse(rel, name, mapped))
            elif not _found(name, runtime_root, platform):
                pending.setdefault(name, []).append(rel)
    missing: dict[str, list[str]] = {}
    conflicts: list[DynlibConflict] = []
    index = _ProviderIndex(providers, platform) if pending else None
    for name in sorted(pending):
        users = pending[name]
        assert index is not None
        candidates, by_soname = index.lookup(name)
        if not candidates:
            for user in users:
                missing.setdefault(user, []).append(name)
            continue
        if len({index.digest(c) for c in candidates}) > 1:
            conflicts.append(DynlibConflict(name, tuple(candidates), tuple(users)))
            continue
        uses.extend(LibraryUse(user, name, candidates[0], by_soname) for user in users)
    uses.sort(key=lambda use: (use.file, binaries[use.file].needed.index(use.library)))
    plans = _plan_search_paths(binaries, kept_entries, uses, fmt)
    return DynlibResolution(
        uses=tuple(uses),
        missing={rel: tuple(names) for rel, names in sorted(missing.items())},
        conflicts=tuple(conflicts),
        search_paths=plans,
    )


def _plan_search_paths(
    binaries: Mapping[str, DynamicInfo],
    kept_entries: Mapping[str, tuple[str, ...]],
    uses: Sequence[LibraryUse],
    fmt: BinaryFormat,
) -> tuple[SearchPathPlan, ...]:
    added: dict[str, list[str]] = {}
    for use in uses:
        folder = DYNLIB_FOLDER if use.by_soname else f"{DYNLIB_FOLDER}/{use.provider.slot}"
        entry = fmt.search_entry(use.file, folder)
        if entry is not None and entry not in added.setdefault(use.file, []):
            added[use.file].append(entry)
    plans = []
    for rel in sorted(binaries):
        info = binaries[rel]
        current = info.search_path.entries if info.search_path else ()
        kind = info.search_path.kind if info.search_path else fmt.search_path_name
        extra = tuple(e for e in added.get(rel, ()) if e not in kept_entries[rel])
        plan = SearchPathPlan(rel, kind, current, kept_entries[rel], extra)
        if plan.changes or plan.added:
            plans.append(plan)
    return tuple(plans)


class _ProviderIndex:
    """Library files of the lower layers, by file name and by SONAME."""

    def __init__(self, providers: Sequence[ProviderLayer], platform: Platform) -> None:
        fmt = platform.binary_format
        self.roots = {p.env_name: p.root for p in providers}
        self.by_name: dict[str, list[ProvidedLibrary]] = {}
        self.by_soname: dict[str, list[ProvidedLibrary]] = {}
        self._digests: dict[ProvidedLibrary, str] = {}
        for provider in providers:
            site = provider.root / provider.site_dir
            for rel in _files(site, skip="", links=True):
                name = posixpath.basename(rel)
                if not fmt.is_library_name(name) or is_excluded(rel, provider.exclude):
                    continue
                library = ProvidedLibrary(
                    provider.env_name,
                    f"{provider.site_dir}/{rel}",
                    slot_name(provider.env_name, posixpath.dirname(rel)),
                )
                info = platform.read_binary(site / rel)
                if info is None:
                    continue
                self.by_name.setdefault(name, []).append(library)
                if info.soname and info.soname != name:
                    self.by_soname.setdefault(info.soname, []).append(library)

    def lookup(self, name: str) -> tuple[list[ProvidedLibrary], bool]:
        """Candidates for a needed name (file names first); whether by SONAME."""
        if name in self.by_name:
            return self.by_name[name], False
        return self.by_soname.get(name, []), True

    def digest(self, library: ProvidedLibrary) -> str:
        """The content hash of a candidate (identical content is no conflict)."""
        if library not in self._digests:
            path = self.roots[library.layer] / library.path
            with open(path, "rb") as stream:
                self._digests[library] = hashlib.file_digest(stream, "sha256").hexdigest()
        return self._digests[library]


def _files(root: Path, *, skip: str, links: bool = False) -> Iterator[str]:
    """Relative POSIX paths of the files under ``root`` (symlinks only with ``links``)."""
    yield from _scan(os.fspath(root), "", skip, links)


def _scan(folder: str, prefix: str, skip: str, links: bool) -> Iterator[str]:
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
    except OSError:
        return
    subfolders = []
    for entry in entries:
        rel = prefix + entry.name
        if entry.is_dir(follow_symlinks=False):
            if entry.name != "__pycache__" and rel != skip:
                subfolders.append(entry)
        elif not entry.is_symlink() or (links and entry.is_file()):
            yield rel
    for entry in subfolders:
        yield from _scan(entry.path, prefix + entry.name + "/", skip, links)


def _expand(entry: str, origin: str) -> str:
    """A search-path entry as a folder ("" when it uses tokens we do not expand)."""
    for token in ("${ORIGIN}", "$ORIGIN"):
        entry = entry.replace(token, origin)
    if "$" in entry:
        return ""
    return os.path.normpath(entry)


def _inside(path: str, folder: str) -> bool:
    return bool(path) and (path == folder or path.startswith(folder + os.sep))


def _mapped(
    name: str, dirs: Sequence[str], site_root: str, providers: Sequence[ProviderLayer]
) -> ProvidedLibrary | None:
    """The lower-layer file a search-path entry inside site-packages would reach."""
    for folder in dirs:
        if not site_root or not _inside(folder, site_root):
            continue
        rel_dir = Path(os.path.relpath(folder, site_root)).as_posix()
        rel = posixpath.normpath(f"{rel_dir}/{name}")
        for provider in providers:
            site = provider.root / provider.site_dir
            if (site / rel).is_file() and not is_excluded(rel, provider.exclude):
                return ProvidedLibrary(
                    provider.env_name,
                    f"{provider.site_dir}/{rel}",
                    slot_name(provider.env_name, posixpath.dirname(rel)),
                )
    return None


def _found(name: str, runtime_root: Path | None, platform: Platform) -> bool:
    if runtime_root is not None and (runtime_root / "lib" / name).exists():
        return True
    return platform.is_system_library(name)
