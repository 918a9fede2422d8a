"""Writing the no-op build memo: what a build's "nothing to do" depends on.

The memo's format and its reader are in :mod:`venvstacks.engine.noop_memo`. Here the
engine, which has the spec, lists every path its decision reads, takes their
fingerprints, checks (in a session of its own) that the next run of the same build
would indeed have nothing to do, and only then writes the memo. Fingerprints are
taken *before* that check, so anything changed while it runs makes the memo miss.

Watched: the spec file, its folder and ``venvstacks.uv.toml``; every file and folder
under the lock folder; every launch and support module (each file and folder of a
package, wherever it lives); ``--local-wheels`` folders and their entries; the build
folder, its ``_state`` folder and every layer's stamp, folder and layer config; each
``sys.path`` folder the process started with (installing or removing a plugin
changes one); every folder and file of the venvstacks package itself.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from venvstacks.engine.noop_memo import (
    MAX_WATCHED,
    Fingerprint,
    Invocation,
    fingerprint,
    memo_document,
    memo_path,
)

if TYPE_CHECKING:
    from venvstacks.engine.selection import OperationPlan
    from venvstacks.engine.stack import Stack

#: Memos kept in the cache folder; the oldest beyond this are removed when writing.
MAX_MEMOS = 200
#: A path changed this recently (or, on a file system with whole-second times,
#: within two seconds) may change again without its fingerprint changing: such a
#: memo is not written (after waiting up to :data:`RACY_WAIT` for the time to pass).
RACY_NS = 50_000_000
COARSE_RACY_NS = 2_000_000_000
RACY_WAIT = 0.2


class _TooMany(Exception):
    """More than :data:`MAX_WATCHED` paths: no memo."""


class _Paths:
    """An ordered set of absolute paths, refusing to grow past the limit."""

    def __init__(self) -> None:
        self.items: dict[str, None] = {}

    def add(self, path: str | os.PathLike[str]) -> None:
        self.items[os.path.abspath(path)] = None
        if len(self.items) > MAX_WATCHED:
            raise _TooMany

    def tree(self, top: str | os.PathLike[str], skip: Iterable[str] = ()) -> None:
        """``top`` and, for a folder, every file and folder below it."""
        self.add(top)
        skipped = frozenset(skip)
        seen: set[str] = set()
        for folder, dirs, files in os.walk(top, followlinks=True):
            real = os.path.realpath(folder)
            if real in seen:  # a symlink loop: its entries are watched once
                dirs[:] = []
                continue
            seen.add(real)
            dirs[:] = [name for name in dirs if name not in skipped]
            for name in (*dirs, *files):
                self.add(os.path.join(folder, name))

    def entries(self, folder: str | os.PathLike[str]) -> None:
        """``folder`` and what it directly holds."""
        self.add(folder)
        try:
            names = os.listdir(folder)
        except OSError:
            return
        for name in names:
            self.add(os.path.join(folder, name))


def watched_paths(stack: Stack, search_path: Sequence[str]) -> list[str] | None:
    """Every path a ``build`` decision of ``stack`` reads (None: too many)."""
    from venvstacks._injected.schema import LAYER_CONFIG_PATH
    from venvstacks.spec.modulefiles import SKIP_DIRS, module_paths
    from venvstacks.spec.uvconfig import UV_CONFIG_FILENAME

    spec = stack.spec
    folder = stack.build_folder
    paths = _Paths()
    try:
        paths.add(spec.path)
        paths.add(spec.spec_dir)
        paths.add(spec.spec_dir / UV_CONFIG_FILENAME)
        paths.tree(spec.requirements_dir)
        for _app, _key, module in module_paths(spec):
            paths.tree(module, SKIP_DIRS)
        for wheels in stack.options.local_wheels:
            paths.entries(wheels)
        paths.add(folder.root)
        paths.add(folder.state_dir)
        for layer in spec.layers():
            env = folder.env(layer.env_name)
            paths.add(folder.stamp_path(layer.env_name))
            paths.add(env)
            paths.add(env / LAYER_CONFIG_PATH)
        for entry in search_path:
            if entry and os.path.isdir(entry):
                paths.add(entry)
        paths.tree(Path(__file__).resolve().parent.parent, ("__pycache__",))
    except _TooMany:
        return None
    return list(paths.items)


def _racy(watched: Sequence[tuple[str, Fingerprint]], now_ns: int) -> int:
    """Nanoseconds to wait until no watched time is recent enough to be racy."""
    wait = 0
    for _path, found in watched:
        if found is None:
            continue
        for stamp in found[2:]:
            margin = COARSE_RACY_NS if stamp % 1_000_000_000 == 0 else RACY_NS
            wait = max(wait, stamp + margin - now_ns)
    return wait


def _snapshot(paths: Sequence[str]) -> list[tuple[str, Fingerprint]] | None:
    """Fingerprints of ``paths``, once none of them changed too recently."""
    watched = [(path, fingerprint(path)) for path in paths]
    wait = _racy(watched, time.time_ns())
    if wait <= 0:
        return watched
    if wait > RACY_WAIT * 1e9:
        return None
    time.sleep(wait / 1e9)
    watched = [(path, fingerprint(path)) for path in paths]
    return watched if _racy(watched, time.time_ns()) <= 0 else None


def nothing_left_to_do(stack: Stack, plan: OperationPlan) -> bool:
    """Whether building ``plan`` now would find every layer current (no lock, no build).

    The checks of a build, on the files as they are now: every lock the plan may
    touch is valid, every layer it builds here is current, and so are the layers
    they run on that it does not build.
    """
    from venvstacks.engine.currency import lower_not_selected, stale_reasons

    platform = stack.options.target_platform
    locked = {*plan.to_lock(), *plan.to_build()}
    layers = [layer for layer in stack.spec.layers() if layer.env_name in locked]
    enabled = [layer.env_name for layer in layers if layer.enabled]
    if not all(status.valid for status in stack.lock_status(enabled)):
        return False
    built = [
        stack.spec.layer(name)
        for name in plan.to_build()
        if stack.spec.layer(name).enabled and stack.spec.layer(name).targets(platform)
    ]
    below = [
        layer
        for layer in lower_not_selected(stack, built)
        if layer.enabled and layer.targets(platform)
    ]
    return not stale_reasons(stack, [*built, *below])


def record(stack: Stack, plan: OperationPlan, invocation: Invocation, text: str) -> bool:
    """Write the memo of ``invocation`` when its next run would print ``text`` only.

    Returns whether a memo was written. Nothing is written when third-party plugins
    are loaded (their hooks may decide differently next time), when the decision reads
    too many paths, or when the layers are not all current.
    """
    from venvstacks.engine.runlock import LOCK_NAME
    from venvstacks.fsutil import replace_with

    if stack.plugins.plugin_names():
        return False
    paths = watched_paths(stack, invocation.search_path)
    if paths is None:
        return False
    watched = _snapshot(paths)
    if watched is None or not nothing_left_to_do(stack, plan):
        return False
    locks = [str(stack.build_dir / LOCK_NAME)]
    document = memo_document(invocation.key, watched, text, locks)
    target = Path(memo_path(invocation.key))
    target.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps(document, separators=(",", ":"))
    replace_with(target, lambda temp: temp.write_text(body, "utf-8"))
    _prune(target.parent)
    return True


def _prune(folder: Path) -> None:
    """Keep the newest :data:`MAX_MEMOS` memos."""
    try:
        memos = [entry for entry in os.scandir(folder) if entry.name.endswith(".json")]
        if len(memos) <= MAX_MEMOS:
            return
        memos.sort(key=lambda entry: entry.stat().st_mtime_ns)
        for entry in memos[: len(memos) - MAX_MEMOS]:
            Path(entry.path).unlink(missing_ok=True)
    except OSError:
        pass
