"""Where snippets, pages and recorded outputs live, and how a snippet is run."""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from mkdocs.structure.files import File
from outcome_memo import snippet_sources

from compression_answers import settings, versions
from compression_answers.page_rules import executed_includes
from compression_answers.reads import ScratchWatch
from compression_answers.runner import (
    SnippetFailed,
    changes,
    file_hash,
    run_snippet,
    scratch_copy,
    scratch_folder,
    text_of,
    traceback_only,
    tree_state,
)

ROOT = Path(__file__).resolve().parent.parent
SNIPPETS = ROOT / "snippets"
DOCS = ROOT / "docs"
RECORDED = ROOT / "tests" / "recorded"
UPDATE_FLAG = "--update-recorded"
# Beside each recording under another torch: the hash of the code that printed it.
CODE_HASH_SUFFIX = ".code-sha256"
UPDATE_COMMAND = f".venv/bin/pytest {UPDATE_FLAG}"
# Two test workers share two cores: one OpenMP thread per snippet keeps torch's spinning threads
# from starving each other (conftest.py sets it for the forked runs too). The build runs with
# torch's default, so the site test also proves that outputs do not depend on the thread count.
SNIPPET_ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


# Where the tests' site is published: under a subpath, as GitHub Pages serves a project site, so
# that every link and asset is tested as it works there (the browser tests serve it there).
PUBLISHED_AT = "/compression-answers/"


def build_environment() -> dict[str, str]:
    """The environment the tests build the site in: torch's default thread count, as a reader's
    build has it (every build in a test run uses it, since the build cache keys on it), and a
    site_url under a subpath."""
    environment = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    return {**environment, "SITE_URL": f"http://127.0.0.1:8000{PUBLISHED_AT}"}


# A figure printed as "~1.234" was measured (a latency): only its presence is compared. So is a
# fact about the machine printed after ": ~", to the end of its line (the CPU's model, say). A
# measured figure is a time: followed by its unit, or inside the brackets of an interquartile
# range after one. Anything else, a percentage or a count above all (an accuracy, an agreement),
# is never masked, so a "~" before it is compared like any other character.
MEASURED = re.compile(r"~\d+(?:\.\d+)?(?=\s*(?:ms|s|µs|us|ns)\b|,\s*~|\])")
MACHINE_FACT = re.compile(r"(?<=: )~(?!\d[\d.]*\s*%|\d+\s+of\s+\d).*$", re.MULTILINE)


def mask_measured(text: str) -> str:
    """`text` with its measured figures and machine facts replaced by placeholders."""
    return MEASURED.sub("~<measured>", MACHINE_FACT.sub("~<this machine>", text))


# The versions this run has, and the torch the main recordings are for.
RUNNING = versions.environment()
PINNED_TORCH = versions.pinned_torch(ROOT)
ON_PINNED_TORCH = RUNNING["torch"] == PINNED_TORCH


def diff(recorded: str, now: str, recorded_with: dict[str, str] | None = None) -> str:
    """A unified diff whose labels say which versions wrote "recorded" and which produced "now"."""
    old_label = f"recorded with {versions.describe(recorded_with)}" if recorded_with else "recorded"
    return versions.diff(recorded, now, old_label, f"now, with {versions.describe(RUNNING)}")


def drift(
    snippet: "Snippet", recorded: str, output: str, recorded_with: dict[str, str] | None
) -> str | None:
    """The message for a snippet whose output is not its recording, naming it and each changed
    line; None when they match."""
    if output == recorded:
        return None
    shown = snippet.expected()[0].relative_to(ROOT)
    return (
        f"{snippet.path} no longer prints its recorded output ({shown}).\n"
        f"{diff(recorded, output, recorded_with)}\n"
        f"If the change is intended, run `{UPDATE_COMMAND}` and commit the new recording."
    )


SITE_PACKAGES = re.compile(r"/\S*?/site-packages/")


class SnippetRaised(AssertionError):
    """`python <snippet>` exited with an error; `finding` is what a recording under another torch keeps."""

    def __init__(self, message: str, finding: str, read: dict[str, str] | None = None):
        super().__init__(message)
        self.finding = finding
        self.read = read or {}  # the files the run opened, with their hashes


def finding_of(stderr: str) -> str:
    """The library lines printed before the traceback and the exception, without this machine's paths."""
    explained = traceback_only(SITE_PACKAGES.sub("", stderr)).splitlines()
    start = next(
        (
            i
            for i, line in enumerate(explained)
            if line.startswith("Traceback (most recent call last)")
        ),
        len(explained),
    )
    exception = explained[-1:] if start < len(explained) else []
    return versions.RAISED + "\n".join([*explained[:start], *exception]) + "\n"


@dataclass(frozen=True)
class Snippet:
    path: Path  # relative to ROOT, e.g. snippets/pruning-count/question.py

    @property
    def slug(self) -> str:
        return self.path.parent.name

    @property
    def key(self) -> str:
        return f"{self.slug}/{self.path.stem}"

    @property
    def recorded(self) -> Path:
        """The recording for the pinned torch."""
        return RECORDED / self.slug / f"{self.path.stem}.txt"

    @property
    def recorded_here(self) -> Path:
        """The recording for the torch this run has: the pinned one, or that version's own."""
        return versions.recording_dir(ROOT, RUNNING["torch"]) / self.slug / f"{self.path.stem}.txt"

    @property
    def code_hash(self) -> str:
        """A hash of the snippet and every file of the project its run can read."""
        sources = snippet_sources(ROOT, self.path.as_posix())
        return hashlib.sha256(json.dumps(sources, sort_keys=True).encode()).hexdigest()

    @property
    def recorded_here_from(self) -> Path:
        """Beside another torch's recording: the code_hash of the snippet that printed it."""
        return self.recorded_here.with_suffix(CODE_HASH_SUFFIX)

    def expected(self) -> tuple[Path, dict[str, str] | None]:
        """The recording this run's output must match, and the versions that wrote it: under another
        torch, that version's recording where one was kept, else the pinned one."""
        if not ON_PINNED_TORCH and self.recorded_here.is_file():
            return self.recorded_here, versions.read_environment(self.recorded_here.parent.parent)
        return self.recorded, versions.read_environment(RECORDED)

    def run_like_the_build(self) -> str:
        """The build's own runner: a child forked from this process, stopped at the time limit."""
        try:
            return run_snippet(self.path.as_posix(), ROOT, settings.read().timeout).output
        except SnippetFailed as error:
            raise AssertionError(str(error)) from None

    def run_standalone(self, project: Path = ROOT, **env: str) -> str:
        """What `python <snippet>` prints (see `run_standalone_observed`)."""
        return self.run_standalone_observed(project, **env)[0]

    def run_standalone_observed(
        self, project: Path = ROOT, **env: str
    ) -> tuple[str, dict[str, str], bool]:
        """`python snippets/<slug>/<name>.py` in a new interpreter, as a reader runs it, from the
        root of a copy of the project: never in the checkout, so what a snippet writes in its
        working folder (a results file, say) cannot touch an author's files, and is reported."""
        timeout = settings.read().timeout
        scratch = scratch_copy(project, prefix="python-")
        # Its HOME and TMPDIR, and an empty torch.compile cache, as on a reader's first run.
        # Inductor's shared one (in /tmp) hands a graph compiled under one ATEN_CPU_CAPABILITY to
        # a run under another, which then computes wrong outputs (seen with torch 2.13.0).
        private = scratch_folder("python-private-")
        watch = ScratchWatch(scratch)  # what the run opened and wrote, by any process
        try:
            watch.__enter__()
            before = None if watch.complete else tree_state(scratch)
            try:
                # Sealed as the build's runs are (compression_answers.seal): the machine
                # read-only but the scratch copy and the private folder; the command is
                # exec'd, so the process is `python <snippet>` itself.
                done = subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "compression_answers.seal",
                        str(scratch),
                        str(private),
                        "--",
                        sys.executable,
                        str(self.path),
                    ],
                    cwd=scratch,
                    check=False,
                    capture_output=True,
                    timeout=timeout,
                    env={
                        **SNIPPET_ENV,
                        **env,
                        "TORCHINDUCTOR_CACHE_DIR": str(private / "tmp" / "inductor"),
                    },
                )
            except subprocess.TimeoutExpired:
                raise AssertionError(
                    f"{self.path}: still running after {timeout:g} s, stopped"
                ) from None
            watch.stop()
            if before is not None:
                written = changes(before, tree_state(scratch))
            elif watch.complete:
                written = watch.changes()
            else:
                raise AssertionError(f"{self.path}: the kernel's watch overflowed: writes unknown")
            read = {
                name: file_hash(scratch / name)
                for name in sorted(watch.read)
                if (scratch / name).is_file()
            }
        finally:
            watch.stop()
            shutil.rmtree(scratch, ignore_errors=True)
            shutil.rmtree(private, ignore_errors=True)
        stderr = done.stderr.decode("utf-8", "replace")
        if done.returncode != 0:
            # Paths relative to the project, as the build names them.
            stderr = stderr.replace(f"{scratch}/", "").replace(f"{project}/", "")
            raise SnippetRaised(
                f"{self.path} raised:\n{traceback_only(stderr)}", finding_of(stderr), read
            )
        if written:
            raise AssertionError(
                f"{self.path} changed the project it ran in: {'; '.join(written)}. Snippets only print"
            )
        try:  # the build's own rules for what a page may show
            return text_of(done.stdout, str(self.path)), read, watch.complete
        except SnippetFailed as error:
            raise AssertionError(str(error)) from None


def site_file(page: Path) -> File:
    """MkDocs' own file for a page under docs/ (a path relative to DOCS): its `.url` and `.dest_uri`."""
    return File(page.as_posix(), str(DOCS), "site", use_directory_urls=True)


def all_snippets() -> list[Snippet]:
    return [Snippet(path.relative_to(ROOT)) for path in sorted(SNIPPETS.glob("*/*.py"))]


@dataclass(frozen=True)
class Inclusion:
    page: Path  # relative to DOCS
    snippet: Snippet
    html: bool  # output injected as raw HTML (a figure) rather than shown as text


def all_inclusions() -> list[Inclusion]:
    found = []
    for page in sorted(DOCS.rglob("*.md")):
        for include in executed_includes(page.read_text(encoding="utf-8")):
            found.append(
                Inclusion(page.relative_to(DOCS), Snippet(Path(include.path)), include.html)
            )
    return found
