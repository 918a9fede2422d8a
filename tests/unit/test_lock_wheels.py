"""Wheel coverage per target platform, with glibc and macOS bounds."""

from __future__ import annotations

import pytest

from venvstacks.lock.wheels import (
    describe_missing,
    glibc_bound,
    macosx_bound,
    missing_wheels,
)

EVERY = (
    "linux_aarch64",
    "linux_x86_64",
    "macosx_arm64",
    "macosx_x86_64",
    "win_amd64",
    "win_arm64",
)


def pylock(*packages: tuple[str, str | None, list[str]]) -> str:
    text = 'lock-version = "1.0"\ncreated-by = "test"\n'
    for name, marker, wheels in packages:
        text += f'\n[[packages]]\nname = "{name}"\nversion = "1.0"\n'
        if marker:
            text += f'marker = "{marker}"\n'
        for wheel in wheels:
            text += f'\n[[packages.wheels]]\nurl = "https://example.invalid/{wheel}"\n'
    return text


def whl(tags: str, name: str = "pkg") -> str:
    return f"{name}-1.0-{tags}.whl"


@pytest.mark.parametrize(
    ("wheels", "platforms", "linux", "macos", "lacking"),
    [
        ([whl("py3-none-any")], EVERY, None, None, ()),
        ([whl("cp311-cp311-manylinux_2_17_x86_64")], ("linux_x86_64",), None, None, ()),
        # a wheel needing a newer glibc than the target allows
        (
            [whl("cp311-cp311-manylinux_2_34_x86_64")],
            ("linux_x86_64",),
            None,
            None,
            ("linux_x86_64",),
        ),
        (
            [whl("cp311-cp311-manylinux_2_34_x86_64")],
            ("linux_x86_64",),
            "glibc@2.34",
            None,
            (),
        ),
        ([whl("cp311-cp311-manylinux2014_aarch64")], ("linux_aarch64",), None, None, ()),
        (
            [whl("cp311-cp311-manylinux2014_aarch64")],
            ("linux_aarch64",),
            "glibc@2.12",
            None,
            ("linux_aarch64",),
        ),
        ([whl("cp311-cp311-linux_x86_64")], ("linux_x86_64",), None, None, ()),
        (
            [whl("cp311-cp311-macosx_14_0_arm64")],
            ("macosx_arm64",),
            None,
            None,
            ("macosx_arm64",),
        ),
        ([whl("cp311-cp311-macosx_14_0_arm64")], ("macosx_arm64",), None, "14", ()),
        (
            [whl("cp311-cp311-macosx_10_9_universal2")],
            ("macosx_arm64", "macosx_x86_64"),
            None,
            None,
            (),
        ),
        (
            [whl("cp39-abi3-win_amd64")],
            ("win_amd64", "win_arm64"),
            None,
            None,
            ("win_arm64",),
        ),
        # a wheel for another Python version does not count
        ([whl("cp312-cp312-win_amd64")], ("win_amd64",), None, None, ("win_amd64",)),
        ([], ("win_amd64",), None, None, ("win_amd64",)),
    ],
)
def test_coverage(
    wheels: list[str],
    platforms: tuple[str, ...],
    linux: str | None,
    macos: str | None,
    lacking: tuple[str, ...],
) -> None:
    text = pylock(("pkg", None, wheels))
    found = missing_wheels(
        text, platforms, "3.11.7", linux_target=linux, macosx_target=macos
    )
    assert found == ({"pkg==1.0": lacking} if lacking else {})


def test_markers_limit_the_platforms_checked() -> None:
    text = pylock(
        ("winonly", "sys_platform == 'win32'", [whl("cp311-cp311-win_amd64", "winonly")]),
        ("linuxonly", "sys_platform == 'linux'", [whl("py3-none-any", "linuxonly")]),
    )
    found = missing_wheels(text, ("linux_x86_64", "win_amd64", "win_arm64"), "3.11")
    assert found == {"winonly==1.0": ("win_arm64",)}


def test_every_package_and_platform_in_one_message() -> None:
    text = pylock(
        ("a", None, [whl("cp311-cp311-manylinux_2_17_x86_64", "a")]),
        ("b", None, [whl("cp311-cp311-win_amd64", "b")]),
    )
    found = missing_wheels(text, ("linux_x86_64", "win_amd64"), "3.11")
    assert describe_missing(found) == "a==1.0 (win_amd64); b==1.0 (linux_x86_64)"


def test_source_only_packages_pass_when_builds_are_allowed() -> None:
    text = pylock(("src", None, []))
    assert missing_wheels(text, ("linux_x86_64",), "3.11", builds_allowed=True) == {}
    assert missing_wheels(text, ("linux_x86_64",), "3.11") == {
        "src==1.0": ("linux_x86_64",)
    }


def test_bounds() -> None:
    assert glibc_bound(None) == (2, 28)
    assert glibc_bound("glibc") == (2, 28)
    assert glibc_bound("glibc@2.31") == (2, 31)
    assert macosx_bound("12") == (12, 0)
    assert macosx_bound("10.15") == (10, 15)
