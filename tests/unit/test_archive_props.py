"""Property tests: archives depend only on the tree, never on how it was made."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from venvstacks.archive import FORMATS, ArchiveFormat, unpack_archive, write_archive
from venvstacks.archive._streams import ContentScanner

from .test_archive_support import TreeSpec, create_tree, snapshot, spec_snapshot

NAMES = st.text(alphabet="abAB-_ .é🐸z", min_size=1, max_size=6).filter(
    lambda name: name not in (".", "..")
)


@st.composite
def trees(draw: st.DrawFn) -> TreeSpec:
    """Random small trees: files with random contents and exec bits, symlinks that
    stay inside the deployment folder, empty folders."""
    spec = TreeSpec()
    taken: set[str] = set()
    folders: set[str] = set()
    for _ in range(draw(st.integers(1, 12))):
        parts = draw(st.lists(NAMES, min_size=1, max_size=3))
        name = "/".join(parts)
        prefixes = {"/".join(parts[:end]) for end in range(1, len(parts))}
        if name in taken or name in folders or prefixes & taken:
            continue
        kind = draw(st.sampled_from(["file", "file", "link", "dir"]))
        if kind == "file":
            content = draw(st.binary(max_size=300))
            spec.files[name] = (content, draw(st.booleans()))
        elif kind == "link":
            up = draw(st.integers(0, len(parts)))
            tail = draw(st.lists(NAMES, min_size=1, max_size=2))
            spec.links[name] = "../" * up + "/".join(tail)
        else:
            spec.dirs.add(name)
        taken.add(name)
        folders |= prefixes
    spec.dirs -= folders  # only really empty folders stay in ``dirs``
    for name in list(spec.dirs):
        if any(other.startswith(name + "/") for other in taken):
            spec.dirs.discard(name)
    return spec


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(
    spec=trees(),
    seeds=st.tuples(st.integers(0, 99), st.integers(100, 199)),
    fmt=st.sampled_from(FORMATS),
)
def test_archives_are_deterministic_and_round_trip(
    spec: TreeSpec, seeds: tuple[int, int], fmt: ArchiveFormat
) -> None:
    with tempfile.TemporaryDirectory() as temp:
        base = Path(temp)
        one = create_tree(base / "one" / "layer", spec, seed=seeds[0], mtime=1_000_000_000)
        two = create_tree(
            base / "two" / "layer",
            spec,
            seed=seeds[1],
            mtime=1_700_000_000,
            loose_modes=True,
        )
        first = write_archive(one, base / "a", fmt, mtime=1234567890, top_name="x@1")
        second = write_archive(two, base / "b", fmt, mtime=1234567890, top_name="x@1")
        assert first.path.read_bytes() == second.path.read_bytes()
        assert first.sha256 == second.sha256
        top = unpack_archive(first.path, base / "deploy")
        assert snapshot(top) == spec_snapshot(spec)


@given(
    needle=st.binary(min_size=1, max_size=12),
    before=st.binary(max_size=40),
    after=st.binary(max_size=40),
    cuts=st.lists(st.integers(0, 100), max_size=6),
)
def test_scanner_finds_needles_however_the_stream_is_cut(
    needle: bytes, before: bytes, after: bytes, cuts: list[int]
) -> None:
    data = before + needle + after
    bounds = sorted({min(cut, len(data)) for cut in cuts} | {0, len(data)})
    scanner = ContentScanner([needle])
    found = [scanner.feed(data[a:b]) for a, b in itertools.pairwise(bounds)]
    assert needle in found
