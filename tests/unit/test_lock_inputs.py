from __future__ import annotations

from pathlib import Path

import pytest

from venvstacks.lock.files import LockedPackage, LockFiles, LockMetadata, sha256_text
from venvstacks.lock.inputs import layer_uv_settings, make_inputs
from venvstacks.lock.status import check_lock
from venvstacks.spec import load_stack_spec_text

SPEC = """
[[runtimes]]
name = "rt"
python_implementation = "cpython@3.12"
requirements = ["six"]

[[frameworks]]
name = "a"
runtime = "rt"
requirements = ["numpy"]
package_indexes = { torch = "cpu" }

[[frameworks]]
name = "b"
runtime = "rt"
requirements = ["numpy"]
platforms = ["linux_x86_64", "win_amd64"]
priority_indexes = ["mirror"]

[[applications]]
name = "app"
launch_module = "app.py"
frameworks = ["a", "b"]
requirements = ["numpy", "attrs"]

[tool.uv]
exclude-newer = "2025-01-01"
index = [
  { name = "mirror", url = "https://mirror.invalid/simple" },
  { name = "cpu", url = "https://cpu.invalid/simple", explicit = true },
]
"""


@pytest.fixture
def stack(tmp_path: Path):
    (tmp_path / "app.py").write_text("")
    return load_stack_spec_text(SPEC, tmp_path / "venvstacks.toml")


def packages() -> dict[str, list[LockedPackage]]:
    return {
        "rt": [LockedPackage("six", "1.17.0")],
        "framework-a": [LockedPackage("numpy", "2.0.0")],
        "framework-b": [
            LockedPackage("numpy", "1.26.4"),
            LockedPackage("colorama", "0.4.6", "sys_platform == 'win32'"),
        ],
    }


def test_first_layer_in_import_order_provides_a_shadowed_package(stack) -> None:
    inputs = make_inputs(stack, stack.layer("app-app"), ["numpy", "attrs"], packages())
    assert inputs.provided["numpy"].layer == "framework-a"
    assert inputs.provided["numpy"].version == "2.0.0"
    assert inputs.provided["six"].layer == "rt"
    assert "numpy==1.26.4" not in inputs.constraints
    assert "colorama==0.4.6 ; sys_platform == 'win32'" in inputs.constraints
    assert inputs.python_minor == "3.12"
    assert inputs.platforms == ("linux_x86_64", "win_amd64")


def test_digest_changes_with_every_input(stack) -> None:
    layer = stack.layer("app-app")
    base = make_inputs(stack, layer, ["numpy", "attrs"], packages()).digest()
    assert base == make_inputs(stack, layer, ["numpy", "attrs"], packages()).digest()
    assert base != make_inputs(stack, layer, ["numpy", "attrs", "x"], packages()).digest()
    changed = packages()
    changed["rt"] = [LockedPackage("six", "1.16.0")]
    assert base != make_inputs(stack, layer, ["numpy", "attrs"], changed).digest()


def test_layer_uv_settings_order_indexes_and_sources(stack) -> None:
    settings = layer_uv_settings(stack, stack.layer("framework-b"))
    assert [i["name"] for i in settings["index"]] == ["mirror"]
    assert settings["index"][0]["explicit"] is False
    assert "environments" not in settings  # universal, as the reference
    assert settings["no-build"] is True
    assert settings["exclude-newer"] == "2025-01-01T00:00:00Z"
    a = layer_uv_settings(stack, stack.layer("framework-a"))
    assert [i["name"] for i in a["index"]] == ["cpu", "mirror"]
    assert a["sources"] == {"torch": {"index": "cpu"}}


def test_lock_status_detects_missing_edited_and_stale(stack, tmp_path: Path) -> None:
    layer = stack.layer("rt")
    inputs = make_inputs(stack, layer, ["six"], {})
    files = LockFiles.for_layer(tmp_path / "requirements", "rt")
    assert check_lock(inputs, files).state == "missing"
    files.folder.mkdir(parents=True)
    text = '[[packages]]\nname = "six"\nversion = "1.17.0"\n'
    files.pylock.write_text(text)
    meta = LockMetadata(
        inputs.digest(), sha256_text(text), 1, "2025-01-01T00:00:00+00:00", "cpython@3.12.1"
    )
    files.meta.write_text(meta.to_json())
    assert check_lock(inputs, files).state == "valid"
    assert check_lock(make_inputs(stack, layer, ["six", "x"], {}), files).state == "stale"
    files.pylock.write_text(text + "\n")
    assert check_lock(inputs, files).state == "modified"
    assert files.pylock.name == "pylock.rt.toml"
    assert (
        LockFiles.for_layer(tmp_path, "cpython-3.12").pylock.name
        == "pylock.cpython-3_12.toml"
    )


def test_local_file_urls_become_paths_relative_to_the_lock(tmp_path: Path) -> None:
    from venvstacks.lock.portable import relative_local_paths

    text = (
        '[[packages]]\nname = "x"\nversion = "1.0"\n'
        'index = "file:///proj/wheels"\n'
        'wheels = [{ url = "file:///proj/my%20wheels/x-1.0-py3-none-any.whl", '
        'hashes = { sha256 = "ab" } }]\n'
        'sdist = { url = "https://files.example/x-1.0.tar.gz", hashes = { sha256 = "cd" } }\n'
    )
    out = relative_local_paths(text, Path("/proj/requirements/app-x"))
    assert "file://" not in out
    assert (
        'name = "x-1.0-py3-none-any.whl", path = "../../my wheels/x-1.0-py3-none-any.whl"'
        in out
    )
    assert 'url = "https://files.example/x-1.0.tar.gz"' in out
    import tomllib

    assert tomllib.loads(out)["packages"][0]["wheels"][0]["path"].startswith("../../")
