"""Where snippets, pages and recorded outputs live, and how a snippet is run."""
import difflib
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SNIPPETS = ROOT / "snippets"
DOCS = ROOT / "docs"
RECORDED = ROOT / "tests" / "recorded"
UPDATE_FLAG = "--update-recorded"
UPDATE_COMMAND = f".venv/bin/pytest {UPDATE_FLAG}"
TIMEOUT_SECONDS = 300
# Two test workers share two cores: one OpenMP thread per snippet keeps torch's spinning threads
# from starving each other. The build runs with torch's default, so the site test also proves
# that outputs do not depend on the thread count.
SNIPPET_ENV = {**os.environ, "OMP_NUM_THREADS": "1"}

# A figure printed as "~1.234" was measured (a latency): only its presence is compared.
MEASURED = re.compile(r"~\d+(?:\.\d+)?")

# Any executed block, and the one form the pages may use: a block that includes one snippet file.
EXECUTED_BLOCK = re.compile(r'^```\w+ [^\n]*exec="(?:on|1|true)"', re.MULTILINE)
EXECUTED_INCLUDE = re.compile(
    r'^```python exec="on"(?P<options>[^\n]*)\n--8<-- "(?P<path>snippets/[^"]+)"\n```$', re.MULTILINE
)

# markdown-exec's own runner, the one the build calls for every block: same globals, same print capture.
RUN_LIKE_THE_BUILD = """
import sys
from markdown_exec._internal.formatters.base import ExecutionError
from markdown_exec._internal.formatters.python import _run_python

path = sys.argv[1]
try:
    output = _run_python(open(path, encoding="utf-8").read(), id=path)
except ExecutionError as error:
    sys.exit(str(error))
sys.stdout.write(output)
"""


def mask_measured(text: str) -> str:
    return MEASURED.sub("~<measured>", text)


def diff(recorded: str, now: str) -> str:
    lines = difflib.unified_diff(recorded.splitlines(), now.splitlines(), "recorded", "now", lineterm="")
    return "\n".join(lines)


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
        return RECORDED / self.slug / f"{self.path.stem}.txt"

    def _run(self, *args: str) -> str:
        try:
            done = subprocess.run(
                [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, env=SNIPPET_ENV
            )
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{self.path}: still running after {TIMEOUT_SECONDS} s, stopped") from None
        if done.returncode != 0:
            raise AssertionError(f"{self.path} raised:\n{done.stderr}")
        return done.stdout

    def run_like_the_build(self) -> str:
        return self._run("-c", RUN_LIKE_THE_BUILD, str(self.path))

    def run_standalone(self) -> str:
        return self._run(str(self.path))


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
        for match in EXECUTED_INCLUDE.finditer(page.read_text(encoding="utf-8")):
            html = re.search(r'\bhtml="(1|on|true)"', match["options"]) is not None
            found.append(Inclusion(page.relative_to(DOCS), Snippet(Path(match["path"])), html))
    return found
