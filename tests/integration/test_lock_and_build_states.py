"""Lock failures, stale locks, interrupted builds and runtime errors, for real."""

from __future__ import annotations

import pytest

from tests.integration.stacks import SMALL_FILES, SMALL_SPEC
from venvstacks import BuildError, LockError, RuntimeNotFoundError, hookimpl

pytestmark = pytest.mark.integration


def with_app_requirements(requirements: str) -> str:
    return SMALL_SPEC.replace(
        'requirements = ["idna", "six"]', f"requirements = {requirements}"
    )


@pytest.mark.parametrize(
    ("requirements", "expected", "hint"),
    [
        ('["idna==3.9", "idna==3.10"]', "idna", "own requirements conflict"),
        ('["idna<3"]', "idna", "would use idna 2.10 (but framework-fw provides 3.10)"),
        ('["venvstacks-no-such-package-xyz"]', "venvstacks-no-such-package-xyz", "own"),
    ],
    ids=["conflict-within-layer", "conflict-with-lower-layer", "unknown-package"],
)
def test_lock_failures_name_the_layer_and_uv_reason(
    stack_project, requirements: str, expected: str, hint: str
) -> None:
    project = stack_project(with_app_requirements(requirements), SMALL_FILES)
    with pytest.raises(LockError) as caught:
        project.lock()
    error = caught.value
    assert error.layer == "app-app"
    assert expected in error.message
    assert hint in (error.hint or "")
    assert "\n" not in error.paragraph()
    result = project.cli("lock")
    assert result.returncode == 4
    assert "Traceback" not in result.stderr
    assert "lock error (layer 'app-app')" in " ".join(result.stderr.split())


def test_build_refuses_stale_locks_unless_asked_to_relock(stack_project) -> None:
    project = stack_project(SMALL_SPEC, SMALL_FILES)
    with pytest.raises(LockError, match="has not been locked"):
        project.build()
    project.build(lock_if_needed=True)
    assert project.run_app("app-app").stdout.startswith("app ok")
    spec = project.spec_path.read_text().replace(
        '["idna", "six"]', '["idna", "six", "attrs"]'
    )
    project.spec_path.write_text(spec)
    with pytest.raises(LockError) as caught:
        project.build()
    assert "app-app: its inputs changed" in caught.value.message
    assert "--lock-if-needed" in caught.value.hint
    report = project.build(lock_if_needed=True)
    assert report.locks is not None and report.locks.changed == ("app-app",)
    assert report.built == ("app-app",)
    project.run_python("app-app", "-c", "import attrs")


def test_edited_pylock_is_detected(stack_project) -> None:
    project = stack_project(SMALL_SPEC, SMALL_FILES)
    project.lock()
    stack = project.stack()
    pylock = stack.lock_files(stack.spec.layer("framework-fw")).pylock
    pylock.write_text(pylock.read_text() + "\n# edited\n")
    states = {s.env_name: s.state for s in project.stack().lock_status()}
    assert states["framework-fw"] == "modified"


class FailsOnce:
    def __init__(self) -> None:
        self.failed = False

    @hookimpl
    def venvstacks_post_install(self, layer, env_path):
        if layer.name == "framework-fw" and not self.failed:
            self.failed = True
            raise OSError("disk full (simulated)")


def test_failed_build_is_redone_not_trusted(stack_project) -> None:
    project = stack_project(SMALL_SPEC, SMALL_FILES)
    project.lock()
    flaky = FailsOnce()
    stack = project.stack([flaky])
    with pytest.raises(Exception, match="disk full"):
        stack.build()
    assert not (project.build_dir / "_state" / "framework-fw.json").exists()
    report = stack.build()
    outcomes = {r.env_name: r.outcome for r in report.layers}
    assert outcomes == {"rt": "unchanged", "framework-fw": "built", "app-app": "built"}
    assert project.run_app("app-app").stdout.startswith("app ok")


def test_deleted_environment_is_rebuilt(stack_project) -> None:
    import shutil

    project = stack_project(SMALL_SPEC, SMALL_FILES)
    project.build(lock_if_needed=True)
    shutil.rmtree(project.env_path("app-app"))
    report = project.build()
    assert report.built == ("app-app",)


def test_reset_lock_resolves_afresh_and_include_selects(stack_project) -> None:
    project = stack_project(SMALL_SPEC, SMALL_FILES)
    project.lock()
    report = project.lock("app-*", reset=["app-app"])
    assert [(r.env_name, r.outcome) for r in report.layers] == [("app-app", "unchanged")]
    with pytest.raises(Exception, match="matches no layer"):
        project.lock("nothing-*")


def test_building_an_app_without_its_lower_layers_is_a_clear_error(stack_project) -> None:
    project = stack_project(SMALL_SPEC, SMALL_FILES)
    project.lock()
    with pytest.raises(BuildError, match="framework-fw has not been built"):
        project.build("app-app")
    report = project.build("app-app", with_lower=True)
    assert report.built == ("rt", "framework-fw", "app-app")


def test_unsatisfiable_runtime_lists_what_was_found(stack_project) -> None:
    spec = SMALL_SPEC.replace("cpython@3.11", "cpython@3.11.99")
    project = stack_project(spec, SMALL_FILES, runtime_source="local")
    with pytest.raises(RuntimeNotFoundError) as caught:
        project.lock()
    text = caught.value.paragraph()
    assert "cpython@3.11.99" in text and "cpython@3.11.7" in text
    assert "--runtime-source" in text
    result = project.cli("lock")
    assert result.returncode == 5 and "Traceback" not in result.stderr


def test_clean_build_recreates_every_environment(stack_project) -> None:
    project = stack_project(SMALL_SPEC, SMALL_FILES)
    project.build(lock_if_needed=True)
    marker = project.env_path("framework-fw") / "stray-file.txt"
    marker.write_text("left over")
    report = project.build(clean=True)
    assert set(report.built) == {"rt", "framework-fw", "app-app"}
    assert not marker.exists()
    assert project.run_app("app-app").stdout.startswith("app ok")
    shown = project.cli("show")
    assert shown.returncode == 0, shown.stderr
    assert "app-app@1" in shown.stdout and "valid" in shown.stdout
