"""The layer selection rules (reference venvstacks 0.8), as one table.

The sample spec: cpython-3.11 <- framework-scipy <- framework-sklearn <- app-scipy-client;
framework-scipy <- app-scipy-import; cpython-3.12 <- framework-http-client, app-http-client
(app-http-client and framework-http-client do not target every platform).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from venvstacks.engine.selection import SelectionRequest, plan_operations
from venvstacks.errors import UsageError
from venvstacks.spec import load_stack_spec

SPEC = load_stack_spec(
    Path(__file__).parents[1] / "data" / "good_specs" / "sample_project" / "venvstacks.toml"
)
HERE = "linux_x86_64"
BUILD = {"lock": False, "build": True, "publish": False}
LOCK = {"lock": True, "build": False, "publish": False, "steps": frozenset({"lock"})}
PUBLISH = {"lock": False, "build": False, "publish": True, "steps": frozenset({"publish"})}


def ops(steps: dict[str, Any], platform: str = HERE, **request: Any) -> dict[str, str]:
    plan = plan_operations(SPEC, SelectionRequest(**steps, **request), platform)
    return {x.env_name: " ".join(x.labels()) for x in plan.layers}


SCIPY_AND_ABOVE = {
    "framework-scipy": "build",
    "framework-sklearn": "build",
    "app-scipy-import": "build",
    "app-scipy-client": "build",
}

CASES: list[tuple[str, dict[str, Any], dict[str, Any], dict[str, str]]] = [
    (
        "no include: every enabled layer",
        BUILD,
        {},
        {
            "cpython-3.11": "build",
            "cpython-3.12": "build",
            "framework-scipy": "build",
            "framework-sklearn": "build",
            "framework-http-client": "build",
            "app-scipy-import": "build",
            "app-scipy-client": "build",
            "app-http-client": "build",
        },
    ),
    (
        "include: lower layers only if needed",
        BUILD,
        {"include": ("framework-sklearn",)},
        {
            "cpython-3.11": "lock-if-needed build-if-needed",
            "framework-scipy": "lock-if-needed build-if-needed",
            "framework-sklearn": "build",
        },
    ),
    (
        "--build-derived: the layer and every layer above it",
        BUILD,
        {"include": ("framework-scipy",), "build_derived": True},
        {"cpython-3.11": "lock-if-needed build-if-needed", **SCIPY_AND_ABOVE},
    ),
    (
        "--build-dependencies: lower layers built unconditionally",
        BUILD,
        {"include": ("app-scipy-import",), "build_dependencies": True},
        {
            "cpython-3.11": "lock-if-needed build",
            "framework-scipy": "lock-if-needed build",
            "app-scipy-import": "build",
        },
    ),
    (
        "--publish-dependencies needs the dependencies built",
        {**BUILD, "publish": True},
        {"include": ("app-scipy-import",), "publish_dependencies": True},
        {
            "cpython-3.11": "lock-if-needed build-if-needed",
            "framework-scipy": "lock-if-needed build-if-needed",
            "app-scipy-import": "build publish",
        },
    ),
    (
        "--build-dependencies --publish-dependencies",
        {**BUILD, "publish": True},
        {
            "include": ("app-scipy-import",),
            "build_dependencies": True,
            "publish_dependencies": True,
        },
        {
            "cpython-3.11": "lock-if-needed build publish",
            "framework-scipy": "lock-if-needed build publish",
            "app-scipy-import": "build publish",
        },
    ),
    (
        "locking always relocks the layers above",
        LOCK,
        {"include": ("framework-scipy",)},
        {
            "cpython-3.11": "lock-if-needed",
            "framework-scipy": "lock",
            "framework-sklearn": "lock",
            "app-scipy-import": "lock",
            "app-scipy-client": "lock",
        },
    ),
    (
        "--lock-dependencies relocks the layers below",
        LOCK,
        {"include": ("app-scipy-import",), "lock_dependencies": True},
        {"cpython-3.11": "lock", "framework-scipy": "lock", "app-scipy-import": "lock"},
    ),
    (
        "lock if needed: layers above are left alone",
        {**LOCK, "lock": None},
        {"include": ("framework-scipy",)},
        {"cpython-3.11": "lock-if-needed", "framework-scipy": "lock-if-needed"},
    ),
    (
        "--reset-lock marks only layers that get locked",
        LOCK,
        {"include": ("framework-scipy",), "reset_lock": ("cpython-*", "app-scipy-import")},
        {
            "cpython-3.11": "lock-if-needed",
            "framework-scipy": "lock",
            "framework-sklearn": "lock",
            "app-scipy-import": "reset-lock lock",
            "app-scipy-client": "lock",
        },
    ),
    (
        "publish: --publish-derived",
        PUBLISH,
        {"include": ("framework-sklearn",), "publish_derived": True},
        {
            "framework-sklearn": "publish",
            "app-scipy-client": "publish",
        },
    ),
    (
        "publish: --publish-dependencies",
        PUBLISH,
        {"include": ("framework-sklearn",), "publish_dependencies": True},
        {
            "cpython-3.11": "publish",
            "framework-scipy": "publish",
            "framework-sklearn": "publish",
        },
    ),
    (
        "layers for other platforms are locked, never built",
        BUILD,
        {"include": ("app-http-client",)},
        {"cpython-3.12": "lock-if-needed build-if-needed", "app-http-client": ""},
    ),
]


@pytest.mark.parametrize(
    ("steps", "request_", "expected"),
    [pytest.param(s, r, e, id=name) for name, s, r, e in CASES],
)
def test_selection_rules(
    steps: dict[str, Any], request_: dict[str, Any], expected: dict[str, str]
) -> None:
    platform = "macosx_arm64" if "app-http-client" in request_.get("include", ()) else HERE
    assert ops(steps, platform, **request_) == expected


def test_conflicting_instructions_for_a_layer_in_between() -> None:
    request = {"include": ("cpython-3.11", "app-scipy-client"), "build_derived": True}
    with pytest.raises(UsageError, match="conflicting build instructions"):
        ops(BUILD, **request)
    # the same instructions both ways are fine
    both = ops(BUILD, **request, build_dependencies=True)
    assert both["framework-sklearn"] == "build"


def test_disabled_layers_never_match() -> None:
    with pytest.raises(UsageError, match="matches no layer"):
        ops(BUILD, include=("app-win32-tool",))
    plan = plan_operations(
        SPEC,
        SelectionRequest(include=("app-win32-tool",), allow_missing=True, build=True),
        HERE,
    )
    assert plan.layers == ()
    assert plan.warnings == ("--include 'app-win32-tool' matches no layer",)
