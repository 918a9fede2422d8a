"""Installing a layer's lock: uv runs unless there is provably nothing to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.fake_uv import FakeUv
from venvstacks.layers.install import has_distributions, sync_packages
from venvstacks.reporting import NullReporter
from venvstacks.uvtool import UvSettings

EMPTY_LOCK = 'lock-version = "1.0"\ncreated-by = "uv"\n'
ONE_PACKAGE = EMPTY_LOCK + '\n[[packages]]\nname = "attrs"\nversion = "25.1.0"\n'


def _sync(tmp_path: Path, lock_text: str, *, installed: bool) -> list[list[str]]:
    site = tmp_path / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    if installed:
        (site / "attrs-25.1.0.dist-info").mkdir()
    pylock = tmp_path / "pylock.toml"
    pylock.write_text(lock_text, "utf-8")
    uv = FakeUv()
    sync_packages(
        tmp_path / "bin" / "python",
        pylock,
        UvSettings(runner=uv),
        NullReporter(),
        "app-x",
        site_packages=site,
    )
    return uv.calls


def test_empty_lock_on_empty_environment_runs_no_uv(tmp_path: Path) -> None:
    assert _sync(tmp_path, EMPTY_LOCK, installed=False) == []


@pytest.mark.parametrize(
    ("lock_text", "installed"),
    [(ONE_PACKAGE, False), (ONE_PACKAGE, True), (EMPTY_LOCK, True)],
    ids=["installs", "updates", "removes"],
)
def test_uv_runs_when_something_may_change(
    tmp_path: Path, lock_text: str, installed: bool
) -> None:
    calls = _sync(tmp_path, lock_text, installed=installed)
    assert [args[:2] for args in calls] == [["pip", "sync"]]


def test_has_distributions(tmp_path: Path) -> None:
    assert not has_distributions(tmp_path / "missing")
    (tmp_path / "pkg").mkdir()
    assert not has_distributions(tmp_path)
    (tmp_path / "pkg-1.0.dist-info").mkdir()
    assert has_distributions(tmp_path)
