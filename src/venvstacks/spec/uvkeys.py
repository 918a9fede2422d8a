"""What ``[tool.uv]`` accepts: every key, its TOML types and enumerated values.

Generated from uv 0.13.9 by ``tools/uv_settings_table.py`` (do not edit by
hand: rerun the script after changing the uv dependency). The spec loader checks
the stack's uv settings against this table before uv ever runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class UvKey:
    """What uv accepts for one ``[tool.uv]`` key."""

    #: TOML types uv accepts ("boolean", "integer", "string", "array", "table").
    types: tuple[str, ...]
    #: For enumerated string values: the values uv accepts.
    choices: tuple[str, ...] = ()
    #: For arrays of enumerated strings: the values uv accepts for each item.
    item_choices: tuple[str, ...] = ()
    #: For tables (or arrays of tables): the keys uv accepts inside them.
    keys: tuple[str, ...] = ()


UV_VERSION = "0.13.9"

UV_KEYS: Mapping[str, UvKey] = MappingProxyType(
    {
        "add-bounds": UvKey(
            types=("string",), choices=("lower", "major", "minor", "exact")
        ),
        "allow-insecure-host": UvKey(types=("array",)),
        "audit": UvKey(types=("table",)),
        "build-backend": UvKey(types=("boolean", "integer", "string", "array", "table")),
        "build-constraint-dependencies": UvKey(types=("array",)),
        "cache-dir": UvKey(types=("string",)),
        "cache-keys": UvKey(types=("array",), keys=("file", "dir", "git", "env")),
        "check-url": UvKey(types=("string",)),
        "compile-bytecode": UvKey(types=("boolean",)),
        "concurrent-builds": UvKey(types=("integer",)),
        "concurrent-downloads": UvKey(types=("integer",)),
        "concurrent-installs": UvKey(types=("integer",)),
        "config-settings": UvKey(types=("table",)),
        "config-settings-package": UvKey(types=("table",)),
        "conflicts": UvKey(types=("array",)),
        "constraint-dependencies": UvKey(types=("array",)),
        "default-groups": UvKey(types=("string", "array")),
        "dependency-groups": UvKey(types=("table",)),
        "dependency-metadata": UvKey(
            types=("array",),
            keys=(
                "name",
                "version",
                "requires-dist",
                "requires-python",
                "provides-extra",
                "provides-extras",
            ),
        ),
        "dev-dependencies": UvKey(types=("array",)),
        "environments": UvKey(types=("string", "array")),
        "exclude-dependencies": UvKey(types=("array",), keys=("package", "dependencies")),
        "exclude-newer": UvKey(types=("boolean", "string", "table")),
        "exclude-newer-package": UvKey(types=("table",)),
        "extra-build-dependencies": UvKey(types=("table",)),
        "extra-build-variables": UvKey(types=("table",)),
        "extra-index-url": UvKey(types=("array",)),
        "find-links": UvKey(types=("array",)),
        "fork-strategy": UvKey(types=("string",), choices=("fewest", "requires-python")),
        "graalpy-install-mirror": UvKey(types=("string",)),
        "http-proxy": UvKey(types=("string",)),
        "https-proxy": UvKey(types=("string",)),
        "index": UvKey(types=("array",)),
        "index-strategy": UvKey(
            types=("string",),
            choices=(
                "first-index",
                "unsafe-any-match",
                "unsafe-first-match",
                "unsafe-best-match",
            ),
        ),
        "index-url": UvKey(types=("string",)),
        "keyring-provider": UvKey(types=("string",), choices=("disabled", "subprocess")),
        "link-mode": UvKey(
            types=("string",), choices=("clone", "reflink", "copy", "hardlink", "symlink")
        ),
        "managed": UvKey(types=("boolean",)),
        "minimum-libc-version": UvKey(types=("array", "table"), keys=("glibc", "musl")),
        "native-tls": UvKey(types=("boolean",)),
        "no-binary": UvKey(types=("boolean",)),
        "no-binary-package": UvKey(types=("array",)),
        "no-build": UvKey(types=("boolean",)),
        "no-build-isolation": UvKey(types=("boolean",)),
        "no-build-isolation-package": UvKey(types=("array",)),
        "no-build-package": UvKey(types=("array",)),
        "no-cache": UvKey(types=("boolean",)),
        "no-index": UvKey(types=("boolean",)),
        "no-proxy": UvKey(types=("array",)),
        "no-sources": UvKey(types=("boolean",)),
        "no-sources-package": UvKey(types=("array",)),
        "offline": UvKey(types=("boolean",)),
        "override-dependencies": UvKey(types=("array",)),
        "package": UvKey(types=("boolean",)),
        "pip": UvKey(
            types=("table",),
            keys=(
                "python",
                "system",
                "break-system-packages",
                "target",
                "prefix",
                "index-url",
                "extra-index-url",
                "no-index",
                "find-links",
                "index-strategy",
                "keyring-provider",
                "no-build",
                "no-binary",
                "only-binary",
                "no-build-isolation",
                "require-build-hashes",
                "no-build-isolation-package",
                "extra-build-dependencies",
                "extra-build-variables",
                "strict",
                "extra",
                "all-extras",
                "no-extra",
                "no-deps",
                "group",
                "allow-empty-requirements",
                "resolution",
                "prerelease",
                "fork-strategy",
                "dependency-metadata",
                "output-file",
                "no-strip-extras",
                "no-strip-markers",
                "no-annotate",
                "no-header",
                "custom-compile-command",
                "generate-hashes",
                "config-settings",
                "config-settings-package",
                "python-version",
                "python-platform",
                "universal",
                "exclude-newer",
                "exclude-newer-package",
                "no-emit-package",
                "emit-index-url",
                "emit-find-links",
                "emit-build-options",
                "emit-marker-expression",
                "emit-index-annotation",
                "annotation-style",
                "link-mode",
                "compile-bytecode",
                "require-hashes",
                "verify-hashes",
                "no-sources",
                "no-sources-package",
                "upgrade",
                "upgrade-package",
                "reinstall",
                "reinstall-package",
                "torch-backend",
            ),
        ),
        "prerelease": UvKey(
            types=("string",),
            choices=(
                "disallow",
                "allow",
                "if-necessary",
                "explicit",
                "if-necessary-or-explicit",
            ),
        ),
        "prerelease-package": UvKey(types=("table",)),
        "preview": UvKey(types=("boolean",)),
        "preview-features": UvKey(types=("boolean", "array")),
        "publish-url": UvKey(types=("string",)),
        "pyodide-install-mirror": UvKey(types=("string",)),
        "pypy-install-mirror": UvKey(types=("string",)),
        "python-downloads": UvKey(
            types=("string",), choices=("auto", "automatic", "manual", "never")
        ),
        "python-downloads-json-url": UvKey(types=("string",)),
        "python-install-mirror": UvKey(types=("string",)),
        "python-preference": UvKey(
            types=("string",), choices=("only-managed", "managed", "system", "only-system")
        ),
        "reinstall": UvKey(types=("boolean",)),
        "reinstall-package": UvKey(types=("array",)),
        "require-build-hashes": UvKey(types=("boolean",)),
        "required-environments": UvKey(types=("string", "array")),
        "required-version": UvKey(types=("string",)),
        "resolution": UvKey(
            types=("string",), choices=("highest", "lowest", "lowest-direct")
        ),
        "sources": UvKey(types=("table",)),
        "system-certs": UvKey(types=("boolean",)),
        "torch-backend": UvKey(
            types=("string",),
            choices=(
                "auto",
                "cpu",
                "cu132",
                "cu130",
                "cu129",
                "cu128",
                "cu126",
                "cu125",
                "cu124",
                "cu123",
                "cu122",
                "cu121",
                "cu120",
                "cu118",
                "cu117",
                "cu116",
                "cu115",
                "cu114",
                "cu113",
                "cu112",
                "cu111",
                "cu110",
                "cu102",
                "cu101",
                "cu100",
                "cu92",
                "cu91",
                "cu90",
                "cu80",
                "rocm7.2",
                "rocm7.1",
                "rocm7.0",
                "rocm6.4",
                "rocm6.3",
                "rocm6.2.4",
                "rocm6.2",
                "rocm6.1",
                "rocm6.0",
                "rocm5.7",
                "rocm5.6",
                "rocm5.5",
                "rocm5.4.2",
                "rocm5.4",
                "rocm5.3",
                "rocm5.2",
                "rocm5.1.1",
                "rocm4.2",
                "rocm4.1",
                "rocm4.0.1",
                "xpu",
            ),
        ),
        "trusted-publishing": UvKey(
            types=("string",), choices=("automatic", "always", "never")
        ),
        "upgrade": UvKey(types=("boolean",)),
        "upgrade-package": UvKey(types=("array",)),
        "workspace": UvKey(types=("table",), keys=("members", "exclude")),
    }
)
