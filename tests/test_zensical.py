"""The same mkdocs.yml and pages build with Zensical, Material's successor (Material for MkDocs
reaches end of life in May 2027), with the same runner and cache, and its pages show every
snippet's output, as `python <snippet>` prints it.

What does not carry over yet is listed in the README ("Building with Zensical")."""

import json
import os
import shutil
import subprocess
import sys

import pytest
from snippet_outputs import ROOT, UPDATE_FLAG
from test_site import INCLUSIONS, pages_problems

# What a Zensical build reads: its configuration, the pages and what they include.
BUILD_INPUTS = [
    "mkdocs.yml",
    "docs",
    "snippets",
    "hooks",
    "benchmarks/build_speed.txt",
    "pyproject.toml",
    "tests/recorded",
]


def test_zensical_builds_the_pages_with_their_executed_outputs(
    tmp_path, subtests, pytestconfig, standalone
):
    if pytestconfig.getoption(UPDATE_FLAG):
        pytest.skip(
            "recordings are being rewritten: run the tests again to check the Zensical build against them"
        )
    for name in BUILD_INPUTS:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if (ROOT / name).is_dir() else shutil.copy)(ROOT / name, tmp_path / name)
    # Zensical runs no MkDocs hook: the versions page is written first, as the README says.
    subprocess.run([sys.executable, "-m", "compression_answers.versions"], cwd=tmp_path, check=True)
    done = subprocess.run(
        [sys.executable, "-m", "zensical", "build", "--strict", "--config-file", "mkdocs.yml"],
        cwd=tmp_path,
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "SNIPPET_CACHE": "on"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    with subtests.test(check="the project's runner and cache ran the snippets"):
        cached = {
            json.loads(entry.read_text())["snippet"]
            for entry in (tmp_path / ".cache/executed-snippets").glob("*.json")
        }
        assert cached == {inclusion.snippet.path.as_posix() for inclusion in INCLUSIONS}
    pages_problems(tmp_path / "site", subtests, standalone)
