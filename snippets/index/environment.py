"""The environment every output on this site comes from: the one place the torch version is recorded."""

import platform
import sys
from importlib.metadata import version

# Minor versions only: a Python patch release or a torch build suffix (+cpu, +cu130) changes no output.
print(
    f"{'python':<16}{sys.version_info.major}.{sys.version_info.minor} on {platform.system()} {platform.machine()}"
)
for package in [
    "torch",
    "torchao",
    "scikit-learn",
    "matplotlib",
    "markdown-exec",
    "mkdocs-material",
]:
    print(f"{package:<16}{version(package).split('+')[0]}")
