"""The execution cache: a snippet's output, kept until something that shapes it changes.

An entry's key is made of the snippet's source, the block's options (with the thread count the
runner gives it) and the environment: the versions of Python and of the libraries that shape
outputs, the runner's own code (`runner_modules`, not the whole package's), and the machine (the
CPU, the cores, and the variables that cap or steer torch's numeric libraries: `numerics`). The
entry also lists every file of the project the run read, with its hash: a snippet run through
`runpy`, a data file. An entry whose files changed is a miss. Entries are written atomically (a
temporary file, then `os.replace`), so two builds in one checkout share the cache safely, and an
entry that cannot be read is a miss that the next run rewrites.

A portable key (`environment(portable=True)`) leaves out what only this machine has: the
installed files' times, the CPU and the core count. Shards of one build run on several CI
machines of one kind (shards.py) and their entries meet in one cache under such keys; the
recordings, which every output is checked against, hold on any x86-64 CPU.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import sys
import tempfile
from importlib.metadata import Distribution, PackageNotFoundError, distribution, version
from pathlib import Path

from compression_answers import numerics
from compression_answers.runner import Ran, file_hash

# Versions that shape what a snippet prints: a new release of any of them re-executes everything.
KEY_PACKAGES = ("torch", "torchao", "numpy", "scipy", "scikit-learn", "matplotlib", "markdown-exec")
PACKAGE = Path(__file__).parent


# The parts of the environment that only this machine has (left out of a portable key).
MACHINE_LOCAL = ("library files", "cpu", "cores")


def environment(portable: bool = False) -> dict[str, str]:
    versions = {"python": sys.version}
    for package in KEY_PACKAGES:
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = "absent"
    versions["library files"] = library_files()
    versions["runner"] = runner_code()
    versions["cpu"] = numerics.cpu()
    versions["cores"] = str(numerics.cores())
    versions["variables"] = json.dumps(numerics.shaping_environment(os.environ))
    if portable:
        for local in MACHINE_LOCAL:
            del versions[local]
    return versions


def installed(packages: tuple[str, ...] = KEY_PACKAGES) -> list[Distribution]:
    found = []
    for package in packages:
        try:
            found.append(distribution(package))
        except PackageNotFoundError:
            continue
    return found


def library_files(distributions: list[Distribution] | None = None) -> str:
    """A fingerprint of the key libraries' installed files (each file's path, size and time), not
    only their version numbers: a file changed under the same version (a patched wheel, an edit
    in site-packages) is a new key."""
    fingerprint = hashlib.sha256()
    for found in installed() if distributions is None else distributions:
        for file, located in _located_files(found):
            try:
                stat = os.stat(located)
            except OSError:
                continue
            fingerprint.update(f"{file}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return fingerprint.hexdigest()


# Each build stats every file; which files, and where, is read again only when the list of a
# distribution's files changes (a reinstall): under `mkdocs serve`, half a second per rebuild.
_LOCATED: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {}


def _located_files(found: Distribution) -> tuple[tuple[str, str], ...]:
    """A distribution's files, each as its list names it and as a path on this machine."""
    listed = next(
        (
            text
            for name in ("RECORD", "installed-files.txt", "SOURCES.txt")
            if (text := found.read_text(name))
        ),
        "",
    )
    key = (str(found.locate_file("")), listed)
    if key not in _LOCATED:
        _LOCATED[key] = tuple(
            (str(file), str(found.locate_file(file))) for file in found.files or []
        )
    return _LOCATED[key]


def runner_modules(
    package: Path = PACKAGE, start: tuple[str, ...] = ("runs", "fresh_child")
) -> list[Path]:
    """The modules that run a snippet and decide what it prints: `runs` and every module of this
    package it imports, directly or through another. Read from the imports, so a module that
    starts to shape a run joins the key without a list to update."""
    found: set[str] = set()
    waiting = list(start)  # fresh_child runs by name (`python -m`), imported by nobody
    while waiting:
        name = waiting.pop()
        path = package / f"{name}.py"
        if name in found or not path.is_file():
            continue
        found.add(name)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                parts = node.module.split(".")
                if parts[0] == package.name and len(parts) == 2:  # from package.module import x
                    waiting.append(parts[1])
                elif node.module == package.name:  # from package import module
                    waiting += [alias.name for alias in node.names]
            elif isinstance(node, ast.Import):
                waiting += [
                    a.name.split(".")[1]
                    for a in node.names
                    if a.name.startswith(package.name + ".")
                ]
    return [package / f"{name}.py" for name in sorted(found)]


def runner_code(package: Path = PACKAGE) -> str:
    """The hash of the runner's own code: a change to it re-executes everything, and a change to
    any other module (a page rule, the drift report, a docstring there) executes nothing."""
    code = hashlib.sha256()
    for module in runner_modules(package):
        code.update(module.name.encode() + b"\0" + module.read_bytes())
    return code.hexdigest()


def key(code: str, options: dict, environment: dict[str, str]) -> str:
    material = json.dumps([code, sorted(options.items()), environment], sort_keys=True, default=str)
    return hashlib.sha256(material.encode()).hexdigest()


def reads_unchanged(project: Path, read: dict[str, str]) -> bool:
    """Whether every file a run read (path relative to `project` -> its hash then) is as it was:
    the test of every kept output, the build's and the tests' alike."""
    return all(file_hash(project / name) == digest for name, digest in read.items())


class Cache:
    """Entries under `directory`, one JSON file per key."""

    def __init__(self, directory: Path, project: Path) -> None:
        self.directory = directory
        self.project = project
        self.used: set[str] = set()

    def get(self, entry_key: str) -> Ran | None:
        """The cached run, if its entry is readable and every file it read is as it was; else None."""
        self.used.add(entry_key)
        try:
            entry = json.loads((self.directory / f"{entry_key}.json").read_text(encoding="utf-8"))
            ran = Ran(entry["output"], dict(entry["read"]))
        except (OSError, ValueError, KeyError, TypeError):
            return (
                None  # missing, unreadable or malformed: a miss, rewritten by the run that follows
            )
        return ran if reads_unchanged(self.project, ran.read) else None

    def put(self, entry_key: str, snippet: str, ran: Ran, options: dict | None = None) -> None:
        """Keep `ran` under `entry_key`, with the block's `options` (the key's other part besides
        the code and the environment: what a merge of shards checks the key by)."""
        self.used.add(entry_key)
        self.directory.mkdir(parents=True, exist_ok=True)
        text = json.dumps(
            {"snippet": snippet, "output": ran.output, "read": ran.read, "options": options or {}}
        )
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".entry-", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(text)
            os.replace(temporary, self.directory / f"{entry_key}.json")
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def prune(self) -> None:
        """Delete the entries this build did not use: their snippet, options or environment changed."""
        for entry in self.directory.glob("*.json"):
            if entry.stem not in self.used:
                entry.unlink(missing_ok=True)
