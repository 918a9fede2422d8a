"""The files venvstacks writes to disk: where they live and what they hold.

This module is the one definition of those file formats. It uses only the standard
library and Python 3.9 syntax, because it also ships inside every layer: the
``postinstall.py`` written into a layer gets this module's body inlined in place of
its ``import`` of it (see :func:`venvstacks._injected.postinstall_source`).

Paths are relative and POSIX-style. Changing a field name here changes the format of
files already deployed or published: add fields, never rename or remove them.
"""

from typing import Dict, List, Optional, TypedDict

# -- Inside every layer folder -------------------------------------------------------

#: The layer config, relative to a layer folder (reference venvstacks' location).
LAYER_CONFIG_PATH = "share/venv/metadata/venvstacks_layer.json"

#: The launch/support module names venvstacks copied into an application layer.
MODULES_MANIFEST_PATH = "share/venv/metadata/venvstacks_modules.json"


class _LayerConfigRequired(TypedDict):
    python: str  # the layer's interpreter, e.g. "bin/python" or "bin/python3.11"
    py_version: str  # "X.Y.Z"
    base_python: str  # the runtime's interpreter, relative to the layer folder
    site_dir: str  # the layer's own site-packages
    pylib_dirs: List[str]  # lower layers' site-packages, relative to the layer folder
    dynlib_dirs: List[str]  # folders of shared libraries, relative to the layer folder


class LayerConfig(_LayerConfigRequired, total=False):
    """``venvstacks_layer.json``: how a layer finds its Python and its lower layers."""

    launch_module: str  # application layers: the module run with ``python -m``
    #: link name -> relative target: the symlinks of the layer's dynlib folder
    dynlib_links: Dict[str, str]


# -- In the build folder ---------------------------------------------------------------


class BuildStamp(TypedDict, total=False):
    """``BUILD/_state/<env>.json``: a layer environment is complete, built from these.

    ``inputs_hash`` is always present; the other fields describe the build.
    """

    inputs_hash: str  # hash of everything the build was made from
    requirements_hash: str  # the lock it was built from (pylock text hash)
    python_implementation: str  # "cpython@X.Y.Z" of its runtime
    plugins: List[str]  # third-party plugins whose content hooks ran for the layer
    tool: str  # the venvstacks version that built it


# -- Next to the spec, in requirements/<env>/ ---------------------------------------------


class InheritedEntry(TypedDict):
    """A package a layer uses but a lower layer installs."""

    name: str
    version: str
    layer: str


class LockMetadataFile(TypedDict):
    """``pylock.<env>.meta.json``: what a layer's lock was made from."""

    lock_input_hash: str
    requirements_hash: str
    lock_version: int
    locked_at: str
    python_implementation: str
    runtime_source: str
    inherited: List[InheritedEntry]
    lock_format: int
    #: The inputs the layers above depend on (not targets or versioned modules).
    dependency_input_hash: str
    #: The inputs that only version a versioned layer (an app's modules).
    version_input_hash: str


# -- In a publish or export output folder ------------------------------------------------

#: The metadata folder of an output folder.
METADATA_DIR = "__venvstacks__"
#: One file per layer under ``METADATA_DIR``.
ENV_METADATA_DIR = "env_metadata"
#: The whole stack's summary under ``METADATA_DIR``.
MANIFEST_NAME = "venvstacks.json"


class SupportModule(TypedDict):
    """An application's support module in published metadata."""

    name: str
    hash: str


class ArchiveHashes(TypedDict):
    """Hashes of a published archive."""

    sha256: str


class PublishedLayer(TypedDict, total=False):
    """``env_metadata/<env>.json``: the reference's field names plus our additions."""

    layer_name: str
    install_target: str
    requirements_hash: str
    lock_version: int
    locked_at: str
    runtime_layer: str
    python_implementation: str
    bound_to_implementation: bool
    required_layers: List[str]
    app_launch_module: str
    app_launch_module_hash: str
    app_support_modules: List[SupportModule]
    archive_build: int
    archive_name: str
    archive_size: int
    archive_hashes: ArchiveHashes
    target_platform: str
    # our additions (see venvstacks.export.metadata.EXTRA_FIELDS)
    venvstacks_version: str
    uv_version: str
    plugins: List[str]
    runtime_source: str
    runtime_portable: bool
    archive_format: str
    bytecode: Optional[str]  # "unchecked-hash", or None when no .pyc are shipped
    inputs_hash: str
    dynlib_layers: List[str]  # lower layers whose shared libraries the layer uses


class PublishedManifest(TypedDict):
    """``venvstacks.json``: every published layer, by category."""

    layers: Dict[str, List[PublishedLayer]]
