"""Binary-format rules (ELF, Mach-O, PE) and library resolution across layers.

Resolution is exercised with a fake platform: files are plain text, their "dynamic
section" is given by a table, so every rule (search path, runtime, system, lower
layers in order, name before SONAME, exclusion, conflicts) is checked without gcc.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from venvstacks.layers.layout import LayerLayout
from venvstacks.platforms import format_for, platform_for
from venvstacks.platforms.dynlib import ProviderLayer, resolve_layer_dynlibs
from venvstacks.platforms.elf import DynamicInfo
from venvstacks.platforms.formats import ELF, MACHO, PE, is_excluded, slot_name

SITE = "lib/python3.11/site-packages"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("libx.so", True),
        ("libx.so.1", True),
        ("libcublas.so.12", True),
        ("libx.so.1.2.3", True),
        ("_ext.abi3.so", True),
        ("libx.so.txt", False),
        ("libx.a", False),
        ("README", False),
    ],
)
def test_elf_library_names_include_versioned_ones(name: str, expected: bool) -> None:
    assert ELF.is_library_name(name) is expected


def test_macho_and_pe_library_names() -> None:
    assert MACHO.is_library_name("libfoo.1.dylib")
    assert MACHO.is_library_name("libfoo.dylib")
    assert not MACHO.is_library_name("libfoo.so.1")
    assert PE.is_library_name("cublas64_12.dll") and PE.is_library_name("X.DLL")


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        (ELF, "$ORIGIN/../../../../share/venv/dynlib/fw+pkg+lib"),
        (MACHO, "@loader_path/../../../../share/venv/dynlib/fw+pkg+lib"),
        (PE, None),
    ],
)
def test_search_entries_are_loader_relative(fmt, expected) -> None:
    file_rel = f"{SITE}/pkg/_ext.abi3.so"
    assert fmt.search_entry(file_rel, "share/venv/dynlib/fw+pkg+lib") == expected


def test_search_entry_for_the_same_folder() -> None:
    assert ELF.search_entry("lib/libx.so", "lib") == "$ORIGIN"


def test_formats_by_platform_tag() -> None:
    assert format_for("linux_x86_64") is ELF
    assert format_for("macosx_arm64") is MACHO
    assert format_for("win_amd64") is PE
    with pytest.raises(ValueError, match="unknown platform"):
        format_for("plan9_mips")
    assert platform_for("win_amd64") is None
    linux = platform_for("linux_aarch64")
    assert linux is not None and linux.binary_format is ELF


def test_exclusion_matches_names_and_path_tails() -> None:
    assert is_excluded("nvidia/cublas/lib/libcublas.so.12", ["libcublas.so*"])
    assert is_excluded("nvidia/cublas/lib/libcublas.so.12", ["cublas/lib/*"])
    assert is_excluded("nvidia/cublas/lib/libcublas.so.12", ["nvidia/*/lib/*"])
    assert not is_excluded("nvidia/cublas/lib/libcublas.so.12", ["libcudnn*"])


def test_slot_names_keep_env_names() -> None:
    assert slot_name("framework-x", "nvidia/cublas/lib") == "framework-x+nvidia+cublas+lib"
    assert slot_name("rt", ".") == "rt"


class FakePlatform:
    """Binaries are files whose path is a key of ``table``."""

    binary_format = ELF

    def __init__(self, table: dict[str, DynamicInfo], system: set[str]) -> None:
        self.table = table
        self.system = system

    def read_binary(self, path: Path) -> DynamicInfo | None:
        return self.table.get(path.name + "@" + path.parent.name)

    def is_system_library(self, name: str) -> bool:
        return name in self.system

    def set_search_path(self, path: Path, kind: str, entries: tuple[str, ...]) -> None:
        raise AssertionError("resolution never patches")


def dyn(needed=(), runpath=None, soname=None) -> DynamicInfo:
    return DynamicInfo(tuple(needed), runpath, None, soname)


def put(root: Path, rel: str, content: str = "x") -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)


@pytest.fixture
def stack(tmp_path: Path):
    """app over fw over rt, with fake binaries."""
    app, fw, fw2, rt = (tmp_path / n for n in ("app", "fw", "fw2", "rt"))
    put(app, f"{SITE}/cons/_ext.abi3.so")
    put(app, f"{SITE}/cons/_other.abi3.so")
    put(fw, f"{SITE}/prov/lib/libp.so.1", "P")
    put(fw, f"{SITE}/soprov/lib/libs.so.1.2.3", "S")
    put(fw2, f"{SITE}/dup/lib/libp.so.1", "P")  # identical content: no conflict
    put(rt, f"{SITE}/rtprov/lib/librt.so.1", "R")
    put(rt, "lib/libpython3.11.so.1.0")
    table = {
        "_ext.abi3.so@cons": dyn(
            ["libp.so.1", "librt.so.1", "libc.so.6", "libpython3.11.so.1.0", "libs.so.1"],
            runpath=("$ORIGIN/../prov/lib",),
        ),
        "_other.abi3.so@cons": dyn(["libgone.so.2", "libp.so.1"]),
        "libp.so.1@lib": dyn(soname="libp.so.1"),
        "libs.so.1.2.3@lib": dyn(soname="libs.so.1"),
        "librt.so.1@lib": dyn(soname="librt.so.1"),
    }
    platform = FakePlatform(table, {"libc.so.6"})
    providers = [
        ProviderLayer("framework-fw", fw, SITE),
        ProviderLayer("framework-fw2", fw2, SITE),
        ProviderLayer("rt", rt, SITE),
    ]
    return app, providers, platform, rt


def test_resolution_finds_each_library_in_the_first_lower_layer(stack) -> None:
    app, providers, platform, rt = stack
    result = resolve_layer_dynlibs(app, providers, platform, runtime_root=rt)
    found = {(u.file.rsplit("/", 1)[1], u.library): u.provider.layer for u in result.uses}
    assert found == {
        ("_ext.abi3.so", "libp.so.1"): "framework-fw",
        ("_ext.abi3.so", "librt.so.1"): "rt",
        ("_ext.abi3.so", "libs.so.1"): "framework-fw",
        ("_other.abi3.so", "libp.so.1"): "framework-fw",
    }
    assert result.missing == {f"{SITE}/cons/_other.abi3.so": ("libgone.so.2",)}
    assert result.conflicts == ()
    assert result.provider_layers == ("framework-fw", "rt")
    assert result.links() == (
        ("framework-fw+prov+lib", "framework-fw", f"{SITE}/prov/lib"),
        ("framework-fw+soprov+lib", "framework-fw", f"{SITE}/soprov/lib"),
        ("libs.so.1", "", "framework-fw+soprov+lib/libs.so.1.2.3"),
        ("rt+rtprov+lib", "rt", f"{SITE}/rtprov/lib"),
    )


def test_search_paths_keep_own_entries_first_and_add_one_per_folder(stack) -> None:
    app, providers, platform, rt = stack
    result = resolve_layer_dynlibs(app, providers, platform, runtime_root=rt)
    plans = {p.file.rsplit("/", 1)[1]: p for p in result.search_paths}
    up = "$ORIGIN/../../../../share/venv/dynlib"
    assert plans["_ext.abi3.so"].wanted == (
        "$ORIGIN/../prov/lib",
        f"{up}/framework-fw+prov+lib",
        f"{up}/rt+rtprov+lib",
        up,
    )
    assert plans["_ext.abi3.so"].kind == "RUNPATH"
    assert plans["_other.abi3.so"].wanted == (f"{up}/framework-fw+prov+lib",)


def test_resolution_ignores_its_own_earlier_links(stack) -> None:
    """A rebuilt layer re-resolves instead of trusting the links it made before."""
    app, providers, platform, rt = stack
    up = "$ORIGIN/../../../../share/venv/dynlib"
    platform.table["_other.abi3.so@cons"] = dyn(
        ["libp.so.1"], runpath=(f"{up}/framework-old+gone",)
    )
    (app / "share/venv/dynlib/framework-old+gone").mkdir(parents=True)
    put(app, "share/venv/dynlib/framework-old+gone/libp.so.1")
    result = resolve_layer_dynlibs(app, providers, platform, runtime_root=rt)
    plan = next(p for p in result.search_paths if p.file.endswith("_other.abi3.so"))
    assert plan.kept == () and plan.added == (f"{up}/framework-fw+prov+lib",)
    assert plan.changes


def test_same_name_with_other_content_is_a_conflict(stack) -> None:
    app, providers, platform, rt = stack
    put(providers[1].root, f"{SITE}/dup/lib/libp.so.1", "other")
    platform.table["libp.so.1@lib"] = dyn(soname="libp.so.1")
    result = resolve_layer_dynlibs(app, providers, platform, runtime_root=rt)
    assert [c.library for c in result.conflicts] == ["libp.so.1"]
    text = result.conflicts[0].describe()
    assert "framework-fw:" in text and "framework-fw2:" in text and "_other.abi3.so" in text


def test_excluded_libraries_are_not_exposed(stack) -> None:
    app, providers, platform, rt = stack
    hidden = [
        ProviderLayer(p.env_name, p.root, p.site_dir, ("libp.so*",)) for p in providers
    ]
    result = resolve_layer_dynlibs(app, hidden, platform, runtime_root=rt)
    assert result.missing[f"{SITE}/cons/_other.abi3.so"] == ("libgone.so.2", "libp.so.1")


def test_layout_config_names_dynlib_folders_by_deployed_name() -> None:
    layout = LayerLayout(
        env_name="app-a",
        folder_name="app-a@2",
        kind="application",
        python="bin/python",
        py_version="3.11.7",
        site_dir=SITE,
        base_python="../rt/bin/python3.11",
        pylib_dirs=(),
    )
    links = [
        ("framework-fw+prov+lib", "framework-fw", f"{SITE}/prov/lib"),
        ("libs.so.1", "", "framework-fw+prov+lib/libs.so.1.2.3"),
    ]
    config = layout.with_dynlibs(links, {"framework-fw": "framework-fw@3"}).config()
    assert config["dynlib_dirs"] == [f"../framework-fw@3/{SITE}/prov/lib"]
    assert config["dynlib_links"] == {
        "share/venv/dynlib/framework-fw+prov+lib": f"../../../../framework-fw@3/{SITE}/prov/lib",
        "share/venv/dynlib/libs.so.1": "framework-fw+prov+lib/libs.so.1.2.3",
    }


def test_postinstall_repairs_dynlib_links(tmp_path: Path) -> None:
    from venvstacks._injected import postinstall as pi

    layer = tmp_path / "app-a"
    folder = layer / "share/venv/dynlib"
    folder.mkdir(parents=True)
    (folder / "framework-old+lib").symlink_to("../../../../framework-old/lib")
    (folder / "framework-fw+prov+lib").symlink_to("/absolute/elsewhere")
    config = {
        "dynlib_links": {
            "share/venv/dynlib/framework-fw+prov+lib": "../../../../framework-fw@3/x",
            "share/venv/dynlib/libs.so.1": "framework-fw+prov+lib/libs.so.1.2.3",
        }
    }
    log = pi.Log()
    pi.fix_dynlib_links(str(layer), config, log)
    assert sorted(p.name for p in folder.iterdir()) == [
        "framework-fw+prov+lib",
        "libs.so.1",
    ]
    assert (
        str((folder / "framework-fw+prov+lib").readlink()) == "../../../../framework-fw@3/x"
    )
    assert len(log.actions) == 3
    again = pi.Log()
    pi.fix_dynlib_links(str(layer), config, again)
    assert again.actions == []


def test_search_path_into_site_packages_finds_lower_layers_before_the_system(
    stack,
) -> None:
    """As if all layers shared one site-packages: the file's own RUNPATH decides."""
    app, providers, platform, rt = stack
    platform.system.add("libp.so.1")
    result = resolve_layer_dynlibs(app, providers, platform, runtime_root=rt, site_dir=SITE)
    found = {(u.file.rsplit("/", 1)[1], u.library): u.provider.layer for u in result.uses}
    assert found[("_ext.abi3.so", "libp.so.1")] == "framework-fw"  # via its RUNPATH
    assert ("_other.abi3.so", "libp.so.1") not in found  # no RUNPATH: the system's


def test_search_path_mapping_wins_over_a_conflict(stack) -> None:
    app, providers, platform, rt = stack
    put(providers[1].root, f"{SITE}/dup/lib/libp.so.1", "other")
    platform.table["_other.abi3.so@cons"] = dyn(
        ["libp.so.1"], runpath=("$ORIGIN/../dup/lib",)
    )
    result = resolve_layer_dynlibs(app, providers, platform, runtime_root=rt, site_dir=SITE)
    assert result.conflicts == ()
    found = {(u.file.rsplit("/", 1)[1], u.library): u.provider for u in result.uses}
    assert found[("_other.abi3.so", "libp.so.1")].layer == "framework-fw2"
    assert found[("_ext.abi3.so", "libp.so.1")].path == f"{SITE}/prov/lib/libp.so.1"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("pkg/_ext.cpython-311-x86_64-linux-gnu.so", True),
        ("pkg.libs/libgfortran-040039e1.so.5.0.0", True),
        ("bin/tool", True),
        ("pkg/module.py", False),
        ("pkg/module.pyi", False),
        ("pkg-1.0.dist-info/RECORD", False),
        ("pkg/data.json", False),
    ],
)
def test_names_that_are_never_binaries_are_not_read(name: str, expected: bool) -> None:
    assert ELF.may_be_binary(name) is expected
