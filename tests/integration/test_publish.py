"""Publishing the acceptance stack: reproducible archives that deploy and run anywhere."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
from pathlib import Path

import pytest

from pytest_venvstacks import StackProject
from tests.integration.stacks import LAYERED_FILES, LAYERED_SPEC, TOOL_IMPORTS
from venvstacks.archive import unpack_archive

pytestmark = pytest.mark.integration

OTHER_PYTHON = "/usr/bin/python3.11"  # not the interpreter that built the stack


@pytest.fixture(scope="module")
def layered(venvstacks_stacks) -> StackProject:
    return venvstacks_stacks.get("layered", LAYERED_SPEC, LAYERED_FILES)


@pytest.fixture(scope="module")
def published(layered: StackProject, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("published")
    report = layered.stack().publish(out)
    assert {r.outcome for r in report.layers} == {"archived"}
    return out


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def archives(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.tar.*"))}


def test_publish_writes_one_archive_per_layer_with_matching_metadata(
    published: Path,
) -> None:
    names = sorted(p.name for p in published.glob("*.tar.xz"))
    assert names == [
        "app-modern@1.tar.xz",
        "app-plain.tar.xz",
        "app-tool.tar.xz",
        "cpython-3.11.tar.xz",
        "cpython-3.12.tar.xz",
        "framework-http.tar.xz",
        "framework-web.tar.xz",
        "framework-yaml.tar.xz",
    ]
    manifest = json.loads((published / "__venvstacks__/venvstacks.json").read_text())
    layers = [entry for group in manifest["layers"].values() for entry in group]
    assert len(layers) == 8
    for entry in layers:
        archive = published / entry["archive_name"]
        assert entry["archive_size"] == archive.stat().st_size
        assert entry["archive_hashes"]["sha256"] == sha256(archive)
        assert entry["target_platform"] == "linux_x86_64"
        assert entry["locked_at"] == "2025-06-01T00:00:00+00:00"
        env_file = published / "__venvstacks__/env_metadata" / f"{entry['layer_name']}.json"
        assert json.loads(env_file.read_text()) == entry
    tool = next(e for e in layers if e["layer_name"] == "app-tool")
    assert tool["required_layers"] == ["framework-web", "framework-http", "framework-yaml"]
    assert tool["runtime_layer"] == "cpython-3.11"
    assert tool["app_launch_module"] == "tool"
    assert tool["app_launch_module_hash"].startswith("sha256:")
    assert [m["name"] for m in tool["app_support_modules"]] == ["tool_support"]
    modern = next(e for e in layers if e["layer_name"] == "app-modern")
    assert modern["install_target"] == "app-modern@1"
    runtime = next(e for e in layers if e["layer_name"] == "cpython-3.11")
    assert runtime["bound_to_implementation"] is True
    assert runtime["runtime_source"] == "local" and runtime["runtime_portable"] is False
    assert runtime["python_implementation"].startswith("cpython@3.11.")


def test_republishing_unchanged_layers_rewrites_nothing(
    layered: StackProject, published: Path
) -> None:
    before = {
        p: (p.stat().st_mtime_ns, sha256(p)) for p in published.rglob("*") if p.is_file()
    }
    report = layered.stack().publish(published)
    assert {r.outcome for r in report.layers} == {"unchanged"}
    after = {
        p: (p.stat().st_mtime_ns, sha256(p)) for p in published.rglob("*") if p.is_file()
    }
    assert after == before


def test_dry_run_writes_nothing(layered: StackProject, tmp_path: Path) -> None:
    report = layered.stack().publish(tmp_path / "out", dry_run=True)
    assert {r.outcome for r in report.layers} == {"planned"}
    assert not (tmp_path / "out").exists()
    result = layered.cli(
        "publish",
        "--dry-run",
        "--output-dir",
        str(tmp_path / "o2"),
        "--build-dir",
        str(layered.build_dir),
    )
    assert result.returncode == 0, result.stderr
    assert "would write" in result.stdout and "app-tool.tar.xz" in result.stdout
    assert not (tmp_path / "o2").exists()


def rebuild_elsewhere(layered: StackProject, build_dir: Path) -> StackProject:
    """The same locks built into another folder, another umask and other file times."""
    other = StackProject(
        layered.root,
        uv_cache_dir=layered.uv_cache_dir,
        runtime_source=layered.runtime_source,
        build_dir=build_dir,
    )
    old = os.umask(0o077)
    try:
        report = other.build()
    finally:
        os.umask(old)
    assert set(report.built) == {layer.env_name for layer in other.stack().spec.layers()}
    shuffle = random.Random(4)
    for path in build_dir.rglob("*"):
        if path.is_file() and not path.is_symlink():
            stamp = shuffle.randint(1_000_000_000, 1_900_000_000)
            os.utime(path, (stamp, stamp))
    return other


def test_publishing_from_another_build_folder_gives_identical_bytes(
    layered: StackProject, published: Path, tmp_path: Path
) -> None:
    other = rebuild_elsewhere(layered, tmp_path / "second build")
    out = tmp_path / "second out"
    other.stack().publish(out)
    first, second = archives(published), archives(out)
    assert first.keys() == second.keys()
    different = [name for name in first if first[name] != second[name]]
    assert different == []
    metadata = json.loads((out / "__venvstacks__/venvstacks.json").read_text())
    original = json.loads((published / "__venvstacks__/venvstacks.json").read_text())
    assert metadata == original


def deploy(published: Path, target: Path, *, postinstall: str | None) -> Path:
    target.mkdir(parents=True)
    for archive in sorted(published.glob("*.tar.*")):
        unpack_archive(archive, target)
    if postinstall:
        import subprocess

        for layer in sorted(target.iterdir()):
            subprocess.run([postinstall, str(layer / "postinstall.py")], check=True)
    return target


def deployed_report(layered: StackProject, root: Path, app: str) -> dict:
    return json.loads(layered.run_app(app, root=root).stdout)


@pytest.mark.parametrize(
    "postinstall", [OTHER_PYTHON, None], ids=["postinstall", "plain-unpack"]
)
def test_deployed_stack_runs_moves_and_runs_again(
    layered: StackProject, published: Path, tmp_path: Path, postinstall: str | None
) -> None:
    root = deploy(published, tmp_path / "deployed with spaces 🐸", postinstall=postinstall)
    assert deployed_report(layered, root, "app-tool") == TOOL_IMPORTS
    plain = deployed_report(layered, root, "app-plain")
    assert plain == {
        "certifi": "framework-http",
        "idna": "framework-http",
        "packaging": "app-plain",
        "six": "cpython-3.11",
    }
    modern = deployed_report(layered, root, "app-modern@1")
    assert modern["version"] == [3, 12] and "/app-modern@1/" in modern["packaging"]
    moved = tmp_path / "elsewhere" / "renamed 🐸 stack"
    moved.parent.mkdir()
    root.rename(moved)
    assert deployed_report(layered, moved, "app-tool") == TOOL_IMPORTS
    prefix = layered.run_python(
        "app-plain", "-c", "import sys; print(sys.prefix)", root=moved
    )
    assert prefix.stdout.strip() == str(moved / "app-plain")
    for path in moved.rglob("*"):
        if path.is_symlink():
            assert not os.readlink(path).startswith("/"), path


def test_postinstall_is_idempotent_and_needs_only_the_stdlib(
    layered: StackProject, published: Path, tmp_path: Path
) -> None:
    import subprocess

    root = deploy(
        published, tmp_path / "d", postinstall="/root/.pyenv/versions/3.9.18/bin/python3.9"
    )

    def digest() -> dict[str, str]:
        out = {}
        for path in sorted(root.rglob("*")):
            if "__pycache__" in path.parts:
                continue
            if path.is_symlink():
                out[str(path)] = "-> " + os.readlink(path)
            elif path.is_file():
                out[str(path)] = sha256(path)
        return out

    before = digest()
    for layer in sorted(root.iterdir()):
        subprocess.run([OTHER_PYTHON, "-I", str(layer / "postinstall.py")], check=True)
    assert digest() == before


def test_shipped_files_hold_no_build_path(
    layered: StackProject, published: Path, tmp_path: Path
) -> None:
    root = deploy(published, tmp_path / "scan", postinstall=None)
    needles = [str(layered.build_dir).encode(), str(layered.root).encode()]
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            assert not any(n in data for n in needles), path


def test_tagged_outputs_and_build_numbers(layered: StackProject, tmp_path: Path) -> None:
    out = tmp_path / "tagged"
    stack = layered.stack()
    first = {r.env_name: r for r in stack.publish(out, ["app-*"], tag_outputs=True).layers}
    assert first["app-plain"].path.name == "app-plain-linux_x86_64-1.tar.xz"
    assert (out / "__venvstacks__/venvstacks-linux_x86_64.json").exists()
    assert (out / "__venvstacks__/env_metadata/app-plain-linux_x86_64.json").exists()
    again = stack.publish(out, ["app-*"], tag_outputs=True)
    assert {r.outcome for r in again.layers} == {"unchanged"}
    forced = {
        r.env_name: r
        for r in stack.publish(out, ["app-plain"], tag_outputs=True, force=True).layers
    }
    assert forced["app-plain"].path.name == "app-plain-linux_x86_64-2.tar.xz"
    assert forced["app-plain"].metadata["archive_build"] == 2
    assert (out / "app-plain-linux_x86_64-1.tar.xz").exists()


def test_local_export_runs_in_place(layered: StackProject, tmp_path: Path) -> None:
    out = tmp_path / "export 🐸"
    report = layered.stack().local_export(out)
    assert {r.outcome for r in report.layers} == {"exported"}
    assert deployed_report(layered, out, "app-tool") == TOOL_IMPORTS
    assert (out / "__venvstacks__/venvstacks.json").exists()
    again = layered.stack().local_export(out)
    assert {r.outcome for r in again.layers} == {"unchanged"}
    exported = out / "app-tool/lib/python3.11/site-packages/attrs/__init__.py"
    built = layered.env_path("app-tool") / "lib/python3.11/site-packages/attrs/__init__.py"
    assert exported.stat().st_ino == built.stat().st_ino  # hard link, not a copy


def test_other_formats_round_trip(layered: StackProject, tmp_path: Path) -> None:
    for fmt, suffix in (("gz", ".tar.gz"), ("zst", ".tar.zst"), ("zip", ".zip")):
        out = tmp_path / fmt
        report = layered.stack().publish(out, ["cpython-3.12", "app-modern"], fmt=fmt)
        paths = sorted(r.path.name for r in report.layers)
        assert paths == [f"app-modern@1{suffix}", f"cpython-3.12{suffix}"]
        root = tmp_path / f"deploy-{fmt}"
        root.mkdir()
        for r in report.layers:
            unpack_archive(r.path, root)
        modern = deployed_report(layered, root, "app-modern@1")
        assert modern["version"] == [3, 12]


def test_publish_requires_a_current_build(layered: StackProject, tmp_path: Path) -> None:
    from venvstacks import ArchiveError

    other = StackProject(layered.root, build_dir=tmp_path / "never built")
    with pytest.raises(ArchiveError, match="not built from its current lock"):
        other.stack().publish(tmp_path / "out")
    shutil.rmtree(tmp_path / "never built", ignore_errors=True)
