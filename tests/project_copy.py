"""A small temporary copy of the project: the real configuration and tests (the plugin is the
installed package's), with one question page and one snippet of its own. Faults are planted in
it, and questions added."""

import contextlib
import io
import logging
import os
import shutil
import subprocess
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from snippet_outputs import ROOT, UPDATE_FLAG

# What a project needs to build and test itself; pages, snippets and recordings are the copy's own.
PROJECT_FILES = [
    "mkdocs.yml",
    "overrides/404.html",
    "overrides/main.html",
    "pyproject.toml",
    "docs/stylesheets/extra.css",
    "docs/javascripts/accessibility.js",
    "docs/javascripts/prediction.js",
    "tests/conftest.py",
    "tests/leftovers.py",
    "tests/snippet_outputs.py",
    "tests/outcome_memo.py",
    "tests/test_snippets.py",
    "tests/test_site.py",
    "tests/test_notebooks.py",
]
PAGE = "docs/checks/sample.md"
SNIPPET = "snippets/sample/count.py"
RECORDING = "tests/recorded/sample/count.txt"
# The one test file that reads and writes recordings: a fault in a recording needs no build to
# show, and the update command's other files skip under its flag (the site's and the notebooks').
SNIPPET_TESTS = "tests/test_snippets.py"
SAMPLE_PAGE = """---
short_answer: "42."
---

# Sample

## The question

> What is 6 × 7?

??? tip "Hint"
    Multiply.

??? question "The usual answer (click to compare with yours)"
    42.

## Your prediction

<quiz answer>
What is 6 × 7?
- [ ] 42
- [ ] 43
- [ ] 48
</quiz>

<quiz>
Does the usual answer hold?
- [ ] It holds
- [ ] It holds, with a caveat
- [ ] It is wrong

See the evidence.
</quiz>

## The evidence

```python exec="on" source="above" result="text" title="snippets/sample/count.py"
--8<-- "snippets/sample/count.py"
```

## Verdict

!!! verdict "holds"
    The run prints it.
"""

SAMPLE_SNIPPET = (
    "answer = 6 * 7\n"
    "print(answer)\n"
    "print(f'answer: {answer}')\n"
    "print(f'claim: 6 x 7 is 42: {answer == 42}')\n"
)


def clean_env(**extra: str) -> dict[str, str]:
    # The copy's own pytest must not take this run's xdist worker settings for its own.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    return {**env, "SNIPPET_CACHE": "off", **extra}


def run(project: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=project,
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
        env=clean_env(**env),
    )


@dataclass
class Built:
    """What an in-process build left, as a subprocess would: its exit code and its log."""

    returncode: int
    log: str
    stdout: str = ""

    @property
    def stderr(self) -> str:
        return self.log


@contextlib.contextmanager
def inside(project: Path, environ: dict[str, str]):
    """This process, for a while, in the copy and with `environ` as its whole environment."""
    saved, cwd = dict(os.environ), os.getcwd()
    os.environ.clear()
    os.environ.update(environ)
    os.chdir(project)
    try:
        yield
    finally:
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def logged():
    """What MkDocs and its plugins log meanwhile, as the command line prints it."""
    records = io.StringIO()
    handler = logging.StreamHandler(records)
    handler.setFormatter(logging.Formatter("%(levelname)-8s-  %(message)s"))
    logger = logging.getLogger("mkdocs")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def build(project: Path, **env: str) -> Built:
    """`mkdocs build --strict` in the copy, as the command line runs it (startup, build, shutdown)
    but in this process: the copy's mkdocs.yml names the installed plugin, and what MkDocs and
    its plugins log is the build's log. A new interpreter for each build would cost more than the
    build; `build_in_new_interpreter` is for what only a new interpreter can plant."""
    return serve(project, [], command="build", **env)[0]


def serve(
    project: Path, edits: list[Callable[[], object]], command: str = "serve", **env: str
) -> list[Built]:
    """`mkdocs serve`'s builds in the copy, in this process: the first, then a rebuild after each
    of `edits` (each reads the configuration again, as serve does, and keeps the plugins' state),
    each into `site/`. Under "build", the one build of `mkdocs build --strict`."""
    from mkdocs.commands.build import build as build_site
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    built: list[Built] = []
    config = None
    with inside(project, clean_env(**env)):
        try:
            for edit in [lambda: None, *edits]:
                edit()
                with logged() as records:
                    returncode = 0
                    try:
                        # `mkdocs serve` as the README runs it, without --strict
                        strict = True if command == "build" else None
                        config = load_config(config_file=str(project / "mkdocs.yml"), strict=strict)
                        if not built:
                            config.plugins.on_startup(command=command, dirty=False)
                        build_site(config)
                    except MkDocsException as error:  # Abort, a configuration error
                        records.write(f"{error}\n")
                        returncode = 1
                    except Exception:  # noqa: BLE001 - a Markdown extension's: the CLI prints its traceback
                        records.write(traceback.format_exc())
                        returncode = 1
                built.append(Built(returncode, records.getvalue()))
        finally:
            if config is not None:
                config.plugins.on_shutdown()
    return built


def build_in_new_interpreter(project: Path, **env: str) -> subprocess.CompletedProcess:
    return run(project, "mkdocs", "build", "--strict", **env)


def run_tests(project: Path, *args: str) -> subprocess.CompletedProcess:
    """The copy's pytest, in one process. Its tests open no browser: pytest-playwright is left
    out (importing it was a third of each run), and with it the option the project's addopts
    give it."""
    lean = ["-n", "0", "-p", "no:cacheprovider", "-p", "no:playwright", "-o", "addopts="]
    return run(project, "pytest", *lean, *args)


def plant(project: Path, path: str, text: str) -> None:
    (project / path).parent.mkdir(parents=True, exist_ok=True)
    (project / path).write_text(text, encoding="utf-8")


def make_project(project: Path, record: bool = True) -> Path:
    """The copy with its sample page; `record=False` leaves the sample page, snippet and recording out."""
    for name in PROJECT_FILES:
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, project / name)
    plant(project, "docs/index.md", "# Home\n")
    if not record:
        return project
    plant(project, PAGE, SAMPLE_PAGE)
    plant(project, SNIPPET, SAMPLE_SNIPPET)
    recorded = run_tests(project, UPDATE_FLAG)  # recordings come from the update command, here too
    assert recorded.returncode == 0, recorded.stdout
    assert build(project).returncode == 0, "the unbroken copy must build"
    # Each test starts from an empty cache and nothing published: copying the built site into
    # every test's copy cost more than the copy of everything else.
    for made in (".cache", "site"):
        shutil.rmtree(project / made, ignore_errors=True)
    return project
