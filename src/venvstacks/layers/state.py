"""The hash of what a build (or an export) is made from.

Build stamps themselves, and the rule for "is this layer built", belong to the build
folder's owner, :mod:`venvstacks.engine.build_folder`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from venvstacks.lock.files import sha256_text

#: Bumped when the meaning of build inputs changes, so every layer rebuilds.
BUILD_FORMAT = 1


def build_inputs_hash(inputs: Mapping[str, Any]) -> str:
    """``sha256:<hex>`` of a build's inputs (canonical JSON)."""
    document = {"format": BUILD_FORMAT, **inputs}
    return sha256_text(json.dumps(document, sort_keys=True, default=str))
