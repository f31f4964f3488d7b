"""The environment every output on this site comes from."""
import platform
from importlib.metadata import version

print(f"{'python':<16}{platform.python_version()} on {platform.system()} {platform.machine()}")
for package in ["torch", "torchao", "scikit-learn", "matplotlib", "markdown-exec", "mkdocs-material"]:
    print(f"{package:<16}{version(package)}")
