"""Say hello from the runtime layer."""

import sys

import typing_extensions

print(f"hello from Python {sys.version.split()[0]} at {sys.prefix}")
print(f"typing_extensions from {typing_extensions.__file__}")
