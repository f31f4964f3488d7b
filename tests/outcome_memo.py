"""What an execution printed, kept for the next test run while nothing that shapes it changed.

A snippet's standalone run, its run with oneDNN capped, and a notebook's fresh-kernel run each
take seconds of CPU; an author who changed one snippet should not pay for the others again. An
outcome is kept under a key made of everything the execution depends on:

- what runs: the snippet's folder and the folders of the snippets it names (it runs those with
  `runpy`), or the notebook's cells; and how: the command, and the environment variables torch,
  oneDNN, OpenMP and Python read;
- the interpreter and every installed distribution with its version (a new torch, numpy or
  ipykernel is a new key), and the code of the tests that run and judge it;
- the machine: the CPU's model and instruction-set flags, the core count and the platform.

A snippet here reads nothing else that could change what it prints (and the update command
refuses one whose two runs differ), so a kept outcome is what the execution would give now; the
comparison with the recording, the page or the notebook is made again on every run.
SNIPPET_CACHE=off executes everything (the build's cache follows the same switch), and so does a
fresh clone, which has no `.cache/`: CI never reads a kept outcome. Only outcomes an execution
decided are kept: an output, or a traceback; a timeout is not.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
from collections.abc import Callable
from importlib.metadata import distributions
from pathlib import Path

from filelock import FileLock

from compression_answers import runner
from compression_answers.page_rules import SNIPPET_PATH

TESTS = Path(__file__).resolve().parent
# Variables that change what torch, oneDNN, OpenMP or Python do; the rest (paths, pytest's own) do not.
SHAPING_VARIABLES = (
    "OMP_",
    "KMP_",
    "MKL_",
    "ONEDNN_",
    "DNNL_",
    "TORCH",
    "PYTORCH_",
    "ATEN_",
    "CUDA_",
    "PYTHON",
    "LANG",
    "LC_",
    "TZ",
    "COLUMNS",
)
# The code that runs an execution and decides what its outcome is.
JUDGING_CODE = (
    TESTS / "outcome_memo.py",
    TESTS / "snippet_outputs.py",
    Path(runner.__file__),
)


def cpu() -> str:
    """The first processor's model and flags: oneDNN picks its kernels by them."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return platform.processor()
    first = text.split("\n\n")[0].splitlines()
    return "\n".join(line for line in first if line.startswith(("model name", "flags")))


def machine_and_interpreter() -> dict:
    """What every key shares: the interpreter, the installed distributions, the machine."""
    installed = sorted({f"{d.metadata['Name']}=={d.version}" for d in distributions()})
    judging = hashlib.sha256(b"".join(path.read_bytes() for path in JUDGING_CODE)).hexdigest()
    return {
        "python": sys.version,
        "executable": os.path.realpath(sys.executable),
        "installed": installed,
        "judging code": judging,
        "cpu": cpu(),
        "cores": [os.cpu_count(), len(os.sched_getaffinity(0))],
        "platform": platform.platform(),
    }


def shaping_environment(environ: dict[str, str]) -> dict[str, str]:
    return {
        name: value for name, value in sorted(environ.items()) if name.startswith(SHAPING_VARIABLES)
    }


def folder_contents(folder: Path) -> dict[str, str]:
    """Each file under `folder` with its hash (bytecode caches left out)."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def snippet_sources(project: Path, snippet: str) -> dict[str, str]:
    """The snippet's folder, and every snippet file it names (it runs those with `runpy`), and
    theirs, each with its hash: what a snippet's run reads of the project."""
    found: dict[str, str] = {}
    folders = [str(Path(snippet).parent)]
    while folders:
        folder = folders.pop()
        for name, digest in folder_contents(project / folder).items():
            path = f"{folder}/{name}"
            if path in found:
                continue
            found[path] = digest
            if name.endswith(".py"):
                text = (project / path).read_text(encoding="utf-8", errors="replace")
                named = {str(Path(other).parent) for other in SNIPPET_PATH.findall(text)}
                folders += sorted(f for f in named if (project / f).is_dir())
    return found


def key(what: dict, environ: dict[str, str], shared: dict) -> str:
    material = {"what": what, "environment": shaping_environment(environ), **shared}
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


class OutcomeMemo:
    """Outcomes under `directory`, one JSON file per key, shared by the test workers of a run (a
    file lock lets one of them execute while the others wait) and by the runs that follow."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._shared: dict | None = None

    def outcome(self, what: dict, environ: dict[str, str], execute: Callable[[], dict]) -> dict:
        """The kept outcome of `what` run under `environ`, or `execute()`'s, kept if it decided."""
        if self._shared is None:
            self._shared = machine_and_interpreter()
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{key(what, environ, self._shared)}.json"
        with FileLock(f"{path}.lock"):
            try:
                return json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                pass  # not kept yet, or unreadable: executed again and rewritten
            outcome = execute()
            if outcome.get("decided", True):
                temporary = path.with_suffix(f".{os.getpid()}.tmp")
                temporary.write_text(json.dumps(outcome), encoding="utf-8")
                os.replace(temporary, path)
            return outcome
