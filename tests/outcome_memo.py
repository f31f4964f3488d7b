"""What an execution printed, kept for the next test run while nothing that shapes it changed.

A snippet's standalone run, its run with oneDNN capped, and a notebook's fresh-kernel run each
take seconds of CPU; an author who changed one snippet should not pay for the others again. The
build's cache and these kept outcomes follow one policy for what an output depends on
(`compression_answers.cache`): a key made of what runs and the environment it runs in, and the
files the run really opened, checked again before an outcome is reused.

- The key: what runs (the snippet's path and code, or the notebook's cells), and how (the
  command, and the variables that shape numerics: `numerics.shaping_environment`); the build's
  own environment (`cache.environment`: Python, the versions of the libraries, the runner's code,
  the CPU, the cores, those variables); every installed distribution with its version, and the
  code of the tests that run and judge it.
- The reads: every file of the project the run opened, by any of its processes (seen by the
  kernel: `compression_answers.reads`), with its hash. An outcome whose files changed is executed
  again; one whose reads are not all known is not kept.

(axe-core's verdict on a page in the browser is kept here too, under the look it judged:
test_browser.py's LOOK.) The comparison with the recording, the page or the notebook is made
again on every run. SNIPPET_CACHE=off executes everything (the build's cache follows the same
switch), and so does a fresh clone, which has no `.cache/`: CI never reads a kept outcome. Only
outcomes an execution decided are kept: an output, or a traceback; a timeout is not.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import platform
import sys
from collections.abc import Callable
from importlib.metadata import distributions
from pathlib import Path

from filelock import FileLock

from compression_answers import cache, numerics, runner
from compression_answers.page_rules import SNIPPET_PATH

TESTS = Path(__file__).resolve().parent
# The code that runs an execution and decides what its outcome is.
JUDGING_CODE = (
    TESTS / "outcome_memo.py",
    TESTS / "snippet_outputs.py",
    Path(runner.__file__),
)


def machine_and_interpreter() -> dict:
    """What every key shares: the interpreter, the installed distributions, the machine."""
    installed = sorted({f"{d.metadata['Name']}=={d.version}" for d in distributions()})
    judging = hashlib.sha256(b"".join(path.read_bytes() for path in JUDGING_CODE)).hexdigest()
    return {
        "build": cache.environment(),  # the build cache's: Python, libraries, runner, machine
        "executable": os.path.realpath(sys.executable),
        "installed": installed,
        "judging code": judging,
        "platform": platform.platform(),
    }


def folder_contents(folder: Path) -> dict[str, str]:
    """Each file under `folder` with its hash (bytecode caches left out)."""
    return {
        path.relative_to(folder).as_posix(): runner.file_hash(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def imported_names(source: str) -> set[str] | None:
    """The top-level names a script imports, or None when it does not parse (then it may read
    anything beside it)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def snippet_sources(project: Path, snippet: str) -> dict[str, str]:
    """What a snippet's run can read of the project, each file with its hash: the snippet; the
    files beside it that are not snippets (data it may open, a package it may import); the
    sibling scripts it imports (`python <path>` puts its folder first on `sys.path`) and the
    snippet files it names (it runs those with `runpy`); and, in turn, what those read. A
    sibling snippet it neither imports nor names cannot change its output, so an edit to one
    snippet keeps the outcomes of the others in its folder."""
    found: dict[str, str] = {}
    pending = [snippet]
    while pending:
        path = pending.pop()
        if path in found or not (project / path).is_file():
            continue
        folder = Path(path).parent
        text = (project / path).read_text(encoding="utf-8", errors="replace")
        imported = imported_names(text)
        beside_it = folder_contents(project / folder)
        for name, digest in beside_it.items():
            beside = f"{folder.as_posix()}/{name}"
            is_sibling_script = "/" not in name and name.endswith(".py")
            if imported is None or not is_sibling_script:
                found.setdefault(beside, digest)
            elif name.removesuffix(".py") in imported:
                pending.append(beside)
        found[path] = beside_it[Path(path).name]
        pending += SNIPPET_PATH.findall(text)
    return found


def key(what: dict, environ: dict[str, str], shared: dict) -> str:
    material = {"what": what, "environment": numerics.shaping_environment(environ), **shared}
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


class OutcomeMemo:
    """Outcomes under `directory`, one JSON file per key, shared by the test workers of a run (a
    file lock lets one of them execute while the others wait) and by the runs that follow."""

    def __init__(self, directory: Path, project: Path = TESTS.parent) -> None:
        self.directory = directory
        self.project = project  # where the files an outcome read are checked again
        self._shared: dict | None = None

    def outcome(self, what: dict, environ: dict[str, str], execute: Callable[[], dict]) -> dict:
        """The kept outcome of `what` run under `environ`, or `execute()`'s, kept if it decided."""
        if self._shared is None:
            self._shared = machine_and_interpreter()
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{key(what, environ, self._shared)}.json"
        with FileLock(f"{path}.lock"):
            try:
                kept = json.loads(path.read_text(encoding="utf-8"))
                if cache.reads_unchanged(self.project, kept.get("read", {})):
                    return kept
            except (OSError, ValueError, AttributeError):
                pass  # not kept yet, unreadable, or a file it read changed: executed again
            outcome = execute()
            if outcome.get("decided", True):
                temporary = path.with_suffix(f".{os.getpid()}.tmp")
                temporary.write_text(json.dumps(outcome), encoding="utf-8")
                os.replace(temporary, path)
            return outcome
