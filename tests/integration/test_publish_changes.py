"""Publishing after changes, independent rebuilds and pre_archive plugins."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

from tests.integration.stacks import SMALL_FILES, SMALL_SPEC
from venvstacks import hookimpl

pytestmark = pytest.mark.integration


def publish_all(
    project, out: Path, plugins=(), fmt: str = "zst", include=()
) -> dict[str, dict]:
    """Build, then publish (zst by default: the xz format's bytes are covered elsewhere)."""
    project.build(lock_if_needed=True, plugins=plugins)
    report = project.stack(plugins).publish(out, include, fmt=fmt)
    return {r.env_name: r for r in report.layers}


def test_independent_lock_build_publish_runs_give_identical_bytes(stack_project) -> None:
    first = stack_project(SMALL_SPEC, SMALL_FILES, name="first")
    second = stack_project(SMALL_SPEC, SMALL_FILES, name="second place")
    a = publish_all(first, first.root / "out")
    b = publish_all(second, second.root / "out")
    assert a.keys() == b.keys() == {"rt", "framework-fw", "app-app"}
    for name in a:
        assert a[name].path.name == b[name].path.name
        assert a[name].path.read_bytes() == b[name].path.read_bytes(), name
    manifest = "__venvstacks__/venvstacks.json"
    assert (first.root / "out" / manifest).read_text() == (
        second.root / "out" / manifest
    ).read_text()


class AddsNotice:
    @hookimpl
    def venvstacks_pre_archive(self, layer, staging_path: Path):
        notice = staging_path / "share" / "NOTICE.txt"
        notice.parent.mkdir(exist_ok=True)
        notice.write_text(f"{layer.deployed_name} for {layer.target_platform}\n")


def test_pre_archive_plugin_changes_are_archived_and_recorded(stack_project) -> None:
    project = stack_project(SMALL_SPEC, SMALL_FILES)
    plain = publish_all(project, project.root / "plain", fmt="gz", include=["app-*"])
    noted = publish_all(
        project, project.root / "noted", plugins=[AddsNotice()], fmt="gz", include=["app-*"]
    )
    app = noted["app-app"]
    with tarfile.open(app.path) as archive:
        member = archive.extractfile("app-app@1/share/NOTICE.txt")
        assert member is not None and member.read() == b"app-app@1 for linux_x86_64\n"
    assert (
        app.metadata["plugins"] == ["AddsNotice"]
        or "AddsNotice" in app.metadata["plugins"][0]
    )
    assert app.metadata["archive_hashes"] != plain["app-app"].metadata["archive_hashes"]
    assert not (project.env_path("app-app") / "share/NOTICE.txt").exists()


def test_changed_launch_module_bumps_only_that_archive_build(stack_project) -> None:
    project = stack_project(SMALL_SPEC, SMALL_FILES)
    out = project.root / "out"
    publish_all(project, out)
    project.write("app.py", SMALL_FILES["app.py"] + "print('changed')\n")
    again = publish_all(project, out)
    outcomes = {name: r.outcome for name, r in again.items()}
    assert outcomes == {
        "rt": "unchanged",
        "framework-fw": "unchanged",
        "app-app": "archived",
    }
    meta = again["app-app"].metadata
    # app-app is versioned: a launch module change bumps its lock version (as the
    # reference does), so it is deployed under a new name
    assert meta["lock_version"] == 2 and meta["install_target"] == "app-app@2"


def test_relocked_versioned_layer_gets_a_new_deployed_name(stack_project) -> None:
    project = stack_project(SMALL_SPEC, SMALL_FILES)
    out = project.root / "out"
    publish_all(project, out)
    spec = project.spec_path.read_text().replace(
        '["idna", "six"]', '["idna", "six", "attrs"]'
    )
    project.spec_path.write_text(spec)
    again = publish_all(project, out)
    app = again["app-app"]
    assert app.path.name == "app-app@2.tar.zst"
    assert app.metadata["lock_version"] == 2 and app.metadata["archive_build"] == 1
    manifest = json.loads((out / "__venvstacks__/venvstacks.json").read_text())
    assert [a["install_target"] for a in manifest["layers"]["applications"]] == [
        "app-app@2"
    ]
