"""Valid stack specs load into the expected frozen model."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from venvstacks.errors import SpecError
from venvstacks.spec import (
    ALL_PLATFORMS,
    ApplicationSpec,
    FrameworkSpec,
    RuntimeRequest,
    RuntimeSpec,
    StackSpec,
    load_stack_spec,
    load_stack_spec_text,
)

GOOD_SPECS = Path(__file__).parents[1] / "data" / "good_specs"

RUNTIME = """
[[runtimes]]
name = "rt"
python_implementation = "cpython@3.12"
requirements = []
"""


def load_good(name: str) -> StackSpec:
    return load_stack_spec(GOOD_SPECS / name / "venvstacks.toml")


def write_spec(folder: Path, text: str, uv_side_file: str | None = None) -> Path:
    spec = folder / "venvstacks.toml"
    spec.write_text(text, encoding="utf-8")
    if uv_side_file is not None:
        (folder / "venvstacks.uv.toml").write_text(uv_side_file, encoding="utf-8")
    return spec


def env_names(spec: StackSpec) -> list[str]:
    return [layer.env_name for layer in spec.layers()]


@pytest.mark.parametrize("name", sorted(p.name for p in GOOD_SPECS.iterdir()))
def test_good_specs_load(name: str) -> None:
    spec = load_good(name)
    assert spec.path == GOOD_SPECS / name / "venvstacks.toml"
    names = env_names(spec)
    assert len(names) == len(set(names))
    assert spec.runtimes
    for layer in spec.layers():
        assert spec.layer(layer.env_name) is layer
        assert set(layer.platforms) <= set(ALL_PLATFORMS)
        for lower in spec.lower_layers(layer):
            # A layer is only built where everything below it is built.
            assert set(layer.platforms) <= set(lower.platforms)
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.path = Path()  # type: ignore[misc]


# -- the sample project ----------------------------------------------------------------


def test_sample_project_env_names() -> None:
    spec = load_good("sample_project")
    assert list(spec.runtimes) == ["cpython-3.11", "cpython-3.12"]
    assert list(spec.frameworks) == [
        "framework-scipy",
        "framework-sklearn",
        "framework-http-client",
        "framework-legacy-win32",
    ]
    assert list(spec.applications) == [
        "app-scipy-import",
        "app-scipy-client",
        "app-http-client",
        "app-win32-tool",
    ]
    # A framework and an application may share a name: their env names differ.
    assert spec.frameworks["framework-http-client"].name == "http-client"
    assert spec.applications["app-http-client"].name == "http-client"


def test_sample_project_runtimes() -> None:
    spec = load_good("sample_project")
    rt311 = spec.runtimes["cpython-3.11"]
    rt312 = spec.runtimes["cpython-3.12"]
    assert isinstance(rt311, RuntimeSpec)
    assert rt311.python_implementation == RuntimeRequest("cpython", "3.11.7")
    assert rt311.python_implementation.exact
    assert str(rt311.python_implementation) == "cpython@3.11.7"
    assert rt312.python_implementation == RuntimeRequest("cpython", "3.12")
    assert not rt312.python_implementation.exact
    assert rt312.python_implementation.matches("3.12.4")
    assert not rt312.python_implementation.matches("3.13.0")
    assert rt311.requirements == ("numpy",)
    assert (rt311.versioned, rt312.versioned) == (False, True)


def test_sample_project_dependencies() -> None:
    spec = load_good("sample_project")
    sklearn = spec.frameworks["framework-sklearn"]
    assert isinstance(sklearn, FrameworkSpec)
    assert sklearn.runtime == "cpython-3.11"
    assert sklearn.frameworks == ("framework-scipy",)
    assert sklearn.linearised_frameworks == ("framework-scipy",)
    assert sklearn.versioned
    client = spec.applications["app-scipy-client"]
    assert client.runtime == "cpython-3.11"
    assert client.linearised_frameworks == ("framework-sklearn", "framework-scipy")
    assert [x.env_name for x in spec.lower_layers(client)] == [
        "framework-sklearn",
        "framework-scipy",
        "cpython-3.11",
    ]
    assert spec.runtime_of(client).env_name == "cpython-3.11"
    http = spec.applications["app-http-client"]
    assert (http.runtime, http.frameworks, http.linearised_frameworks) == (
        "cpython-3.12",
        (),
        (),
    )
    dependents = {x.env_name for x in spec.dependents(spec.frameworks["framework-scipy"])}
    assert dependents == {"framework-sklearn", "app-scipy-import", "app-scipy-client"}


def test_sample_project_modules() -> None:
    spec = load_good("sample_project")
    folder = GOOD_SPECS / "sample_project"
    importer = spec.applications["app-scipy-import"]
    assert isinstance(importer, ApplicationSpec)
    assert importer.launch_module == folder / "launch_modules" / "scipy_import.py"
    assert importer.launch_module_name == "scipy_import"
    assert importer.support_modules == (folder / "support_modules" / "common.py",)
    client = spec.applications["app-scipy-client"]
    assert client.launch_module == folder / "launch_modules" / "scipy_client"
    assert client.launch_module_name == "scipy_client"
    assert client.support_modules == (
        folder / "support_modules" / "common.py",
        folder / "support_modules" / "helpers",
    )


def test_sample_project_platforms() -> None:
    spec = load_good("sample_project")
    # Unrestricted layers on an unrestricted runtime target everything.
    assert spec.runtimes["cpython-3.11"].platforms == ALL_PLATFORMS
    assert spec.applications["app-scipy-client"].platforms == ALL_PLATFORMS
    # Explicit platforms come back in canonical order.
    assert spec.runtimes["cpython-3.12"].platforms == (
        "linux_x86_64",
        "macosx_arm64",
        "win_amd64",
    )
    assert spec.frameworks["framework-http-client"].platforms == (
        "linux_x86_64",
        "win_amd64",
    )
    assert spec.applications["app-http-client"].platforms == ("linux_x86_64",)
    # platforms = [] disables a layer, and its dependents inherit no platforms.
    disabled = spec.frameworks["framework-legacy-win32"]
    assert disabled.platforms == ()
    assert not disabled.enabled
    tool = spec.applications["app-win32-tool"]
    assert tool.platforms == ()
    assert not tool.enabled
    assert spec.applications["app-http-client"].targets("linux_x86_64")
    assert not spec.applications["app-http-client"].targets("win_amd64")


def test_inferred_platforms_are_the_intersection_of_lower_layers(tmp_path: Path) -> None:
    text = """
[[runtimes]]
name = "rt"
python_implementation = "cpython@3.12"
requirements = []
platforms = ["win_amd64", "linux_x86_64", "macosx_arm64", "linux_aarch64"]

[[frameworks]]
name = "linux-and-mac"
runtime = "rt"
requirements = []
platforms = ["macosx_arm64", "linux_x86_64", "linux_aarch64"]

[[frameworks]]
name = "no-arm"
runtime = "rt"
requirements = []
platforms = ["linux_x86_64", "win_amd64", "macosx_arm64"]

[[frameworks]]
name = "inherits"
runtime = "rt"
requirements = []

[[applications]]
name = "both"
launch_module = "app.py"
frameworks = ["linux-and-mac", "no-arm", "inherits"]
requirements = []
"""
    (tmp_path / "app.py").write_text("", encoding="utf-8")
    spec = load_stack_spec(write_spec(tmp_path, text))
    assert spec.frameworks["framework-inherits"].platforms == (
        "linux_aarch64",
        "linux_x86_64",
        "macosx_arm64",
        "win_amd64",
    )
    assert spec.applications["app-both"].platforms == ("linux_x86_64", "macosx_arm64")


def test_disabled_runtime_disables_everything_above(tmp_path: Path) -> None:
    text = (
        RUNTIME
        + "platforms = []\n"
        + """
[[frameworks]]
name = "fw"
runtime = "rt"
requirements = []
platforms = []

[[frameworks]]
name = "above"
frameworks = ["fw"]
requirements = []
"""
    )
    spec = load_stack_spec(write_spec(tmp_path, text))
    assert [layer.platforms for layer in spec.layers()] == [(), (), ()]
    assert not any(layer.enabled for layer in spec.layers())


# -- the framework DAG -----------------------------------------------------------------


def test_framework_dag_forward_references_and_order() -> None:
    spec = load_good("framework_dag")
    frameworks = list(spec.frameworks)
    # Declared out of order; the model lists frameworks in dependency order.
    for name, layer in spec.frameworks.items():
        for dep in layer.frameworks:
            assert frameworks.index(dep) < frameworks.index(name)
    assert spec.frameworks["framework-z"].frameworks == (
        "framework-k1",
        "framework-k2",
        "framework-k3",
    )


def test_framework_dag_c3_order() -> None:
    spec = load_good("framework_dag")

    def lin(env_name: str) -> list[str]:
        layer = spec.layer(env_name)
        assert isinstance(layer, FrameworkSpec | ApplicationSpec)
        return [spec.frameworks[n].name for n in layer.linearised_frameworks]

    assert lin("framework-k1") == ["a", "b", "c", "o"]
    assert lin("framework-k2") == ["d", "b", "e", "o"]
    assert lin("framework-k3") == ["d", "a", "o"]
    # The MRO of Z in "The Python 2.3 Method Resolution Order" (without Z itself).
    assert lin("framework-z") == ["k1", "k2", "k3", "d", "a", "b", "c", "e", "o"]
    assert lin("app-mro") == ["z", "k1", "k2", "k3", "d", "a", "b", "c", "e", "o"]
    # A diamond: depth-first would give left, base, right; C3 keeps base last.
    assert lin("app-diamond") == ["left", "right", "base"]
    assert spec.lower_layers(spec.layer("app-diamond"))[-1].env_name == "cpython-3.12"


# -- package indexes and uv settings ---------------------------------------------------


def test_package_indexes_are_merged_from_lower_layers() -> None:
    spec = load_good("uv_indexes")
    assert dict(spec.runtimes["cpython-3.11"].package_indexes) == {"numpy": "internal"}
    # Framework on the runtime: inherits the runtime's choices; names are normalised.
    cpu = spec.frameworks["framework-torch-cpu"]
    assert dict(cpu.package_indexes) == {"numpy": "internal", "torch": "pytorch-cpu"}
    assert cpu.priority_indexes == ("internal",)
    assert dict(spec.frameworks["framework-tools"].package_indexes) == {"numpy": "internal"}
    # Conflicting frameworks are accepted with index_overrides; the first one wins.
    trainer = spec.applications["app-trainer"]
    assert dict(trainer.index_overrides) == {"pytorch-cpu": "pytorch-cuda"}
    assert dict(trainer.package_indexes) == {"numpy": "internal", "torch": "pytorch-cuda"}
    report = spec.applications["app-report"]
    assert dict(report.package_indexes) == {"numpy": "internal", "jinja2": "internal"}


def test_uv_table_in_spec() -> None:
    spec = load_good("uv_indexes")
    uv = spec.uv
    assert uv.source_file == GOOD_SPECS / "uv_indexes" / "venvstacks.toml"
    assert [index.name for index in uv.indexes] == [
        "internal",
        "pytorch-cpu",
        "pytorch-cuda",
        "",
    ]
    default = uv.indexes[-1]
    assert (default.url, default.default, default.explicit) == (
        "https://mirror.example.com/simple",
        True,
        False,
    )
    internal = uv.index("internal")
    assert internal is not None
    assert internal.explicit
    assert uv.index("missing") is None
    assert dict(uv.sources) == {"rich": "internal"}
    # index and sources are taken out; everything else passes through to uv.
    assert dict(uv.settings) == {
        "exclude-newer": "2024-06-01T10:00:00Z",
        "resolution": "highest",
    }
    assert uv.exclude_newer == dt.datetime(2024, 6, 1, 10, tzinfo=dt.UTC)


def test_uv_side_file() -> None:
    spec = load_good("uv_side_file")
    uv = spec.uv
    assert uv.source_file == GOOD_SPECS / "uv_side_file" / "venvstacks.uv.toml"
    assert dict(uv.settings) == {
        "exclude-newer": "2024-03-01T00:00:00Z",
        "index-strategy": "unsafe-best-match",
    }
    assert [index.name for index in uv.indexes] == ["internal"]
    assert dict(uv.sources) == {"numpy": "internal"}
    assert dict(spec.runtimes["cpython-3.12"].package_indexes) == {"numpy": "internal"}


SIDE_FILE = """
exclude-newer = "2020-01-01"

[[index]]
name = "side"
url = "https://side.example.com/simple"
"""


def test_uv_table_takes_precedence_over_side_file(tmp_path: Path) -> None:
    text = (
        RUNTIME
        + """
[[tool.uv.index]]
name = "inline"
url = "https://inline.example.com/simple"
"""
    )
    spec = load_stack_spec(write_spec(tmp_path, text, SIDE_FILE))
    assert spec.uv.source_file == tmp_path / "venvstacks.toml"
    assert [index.name for index in spec.uv.indexes] == ["inline"]
    assert spec.uv.exclude_newer is None


def test_empty_uv_table_still_takes_precedence(tmp_path: Path) -> None:
    spec = load_stack_spec(write_spec(tmp_path, RUNTIME + "\n[tool.uv]\n", SIDE_FILE))
    assert spec.uv.source_file == tmp_path / "venvstacks.toml"
    assert spec.uv.indexes == ()
    assert dict(spec.uv.settings) == {}


def test_side_file_used_when_tool_has_no_uv_table(tmp_path: Path) -> None:
    text = RUNTIME + "\n[tool.ruff]\nline-length = 80\n"
    spec = load_stack_spec(write_spec(tmp_path, text, SIDE_FILE))
    assert spec.uv.source_file == tmp_path / "venvstacks.uv.toml"
    assert [index.name for index in spec.uv.indexes] == ["side"]
    assert spec.uv.exclude_newer == dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


def test_no_uv_config_at_all(tmp_path: Path) -> None:
    spec = load_stack_spec(write_spec(tmp_path, RUNTIME))
    assert spec.uv.source_file is None
    assert spec.uv.indexes == ()
    assert dict(spec.uv.settings) == {}
    assert spec.uv.exclude_newer is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # TOML dates and datetimes
        ("2024-05-01", "2024-05-01T00:00:00Z"),
        ("2024-05-01T12:30:00", "2024-05-01T12:30:00Z"),
        ("2024-05-01T12:30:00Z", "2024-05-01T12:30:00Z"),
        ("2024-05-01T12:30:00+02:00", "2024-05-01T10:30:00Z"),
        ("2024-05-01T00:30:00-01:00", "2024-05-01T01:30:00Z"),
        ("2024-05-01T12:30:00.75Z", "2024-05-01T12:30:00Z"),
        # strings in the same formats
        ('"2024-05-01"', "2024-05-01T00:00:00Z"),
        ('"2024-05-01T12:30:00"', "2024-05-01T12:30:00Z"),
        ('"2024-05-01T12:30:00Z"', "2024-05-01T12:30:00Z"),
        ('"2024-05-01T23:30:00-02:00"', "2024-05-02T01:30:00Z"),
        ('" 2024-05-01 "', "2024-05-01T00:00:00Z"),
        # the earliest representable moment keeps its four-digit year
        ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"),
    ],
)
def test_exclude_newer_normalisation(tmp_path: Path, value: str, expected: str) -> None:
    text = RUNTIME + f"\n[tool.uv]\nexclude-newer = {value}\n"
    spec = load_stack_spec(write_spec(tmp_path, text))
    assert spec.uv.settings["exclude-newer"] == expected
    stamp = spec.uv.exclude_newer
    assert stamp is not None
    assert stamp.utcoffset() == dt.timedelta(0)
    assert stamp.replace(microsecond=0) == dt.datetime.fromisoformat(expected)


@pytest.mark.parametrize("value", ['"yesterday"', "12:00:00", "20240501", "true", '""'])
def test_exclude_newer_rejected(tmp_path: Path, value: str) -> None:
    text = RUNTIME + f"\n[tool.uv]\nexclude-newer = {value}\n"
    with pytest.raises(SpecError) as info:
        load_stack_spec(write_spec(tmp_path, text))
    assert info.value.field == "tool.uv.exclude-newer"


# -- legacy fields ---------------------------------------------------------------------


def test_legacy_fields_accepted_with_warnings() -> None:
    spec = load_good("legacy_fields")
    runtime = spec.runtimes["cpython-3.11"]
    assert runtime.python_implementation == RuntimeRequest("cpython", "3.11.9")
    assert spec.frameworks["framework-scipy"].requirements == ("scipy",)
    assert len(spec.warnings) == 2
    fully_versioned, build_requirements = spec.warnings
    assert "cpython-3.11" in fully_versioned
    assert "fully_versioned_name" in fully_versioned
    assert "framework-scipy" in build_requirements
    assert "build_requirements" in build_requirements
    for warning in spec.warnings:
        assert "\n" not in warning


def test_no_warnings_for_current_fields() -> None:
    assert load_good("sample_project").warnings == ()


# -- entry points ----------------------------------------------------------------------


def test_text_and_file_loading_agree() -> None:
    path = GOOD_SPECS / "sample_project" / "venvstacks.toml"
    from_text = load_stack_spec_text(path.read_text("utf-8"), path)
    assert from_text == load_stack_spec(path)
    assert load_stack_spec(path.parent) == load_stack_spec(path)


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    spec_path = tmp_path / "venvstacks.toml"
    spec_path.write_bytes(b"\xef\xbb\xbf" + RUNTIME.encode())
    assert list(load_stack_spec(spec_path).runtimes) == ["rt"]
    assert list(load_stack_spec_text("\ufeff" + RUNTIME, spec_path).runtimes) == ["rt"]


def test_missing_spec_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="no stack specification"):
        load_stack_spec(tmp_path / "nowhere.toml")
    with pytest.raises(SpecError, match="no stack specification"):
        load_stack_spec(tmp_path)


def test_quoted_keys_in_field_paths(tmp_path: Path) -> None:
    text = (
        RUNTIME
        + 'package_indexes = { "zope.interface" = "nowhere" }\n'
        + '\n[[tool.uv.index]]\nname = "somewhere"\nurl = "https://x.example.com/"\n'
    )
    with pytest.raises(SpecError) as info:
        load_stack_spec(write_spec(tmp_path, text))
    assert info.value.field == 'runtimes[0].package_indexes."zope.interface"'
    assert info.value.layer == "rt"
