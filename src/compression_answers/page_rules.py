"""What every page must hold, checked on its markdown source: strings in, problems out.

The MkDocs plugin logs these problems (a strict build fails on them), and a test runs the same
rules over `docs/`, so that a Zensical build is held to them too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from compression_answers.blocks import INCLUDE_LINE, Block, executed

# YAML front matter, as MkDocs reads it: between `---` lines at the very start.
FRONT_MATTER = re.compile(r"\A-{3}[ \t]*\n(.*?\n)(?:\.{3}|-{3})[ \t]*\n", re.DOTALL)


def front_matter(source: str) -> tuple[str, dict]:
    """A page's body and its front matter's fields, read with PyYAML as MkDocs reads them: a
    block that is not a YAML mapping is no front matter, and the page keeps it."""
    found = FRONT_MATTER.match(source)
    if found is None:
        return source, {}
    try:
        meta = yaml.safe_load(found[1])
    except yaml.YAMLError:
        return source, {}
    if not isinstance(meta, dict):
        return source, {}
    return source[found.end() :].lstrip("\n"), meta


SNIPPET_PATH = re.compile(r"snippets/[\w.-]+/[\w.-]+\.py")
TRUE = {"1", "on", "true", "yes"}  # an option's values that turn it on (exec, html)
# What every question page (a page inside a section folder) shows, in its reader's order.
QUESTION_PAGE_PARTS = {
    "the question": re.compile(r"^## The question$", re.MULTILINE),
    "the hint": re.compile(r'^\?\?\?\+? tip "Hint"', re.MULTILINE),
    "the usual answer": re.compile(r'^\?\?\?\+? question "The usual answer', re.MULTILINE),
    "answer options": re.compile(r"^<quiz answer>$", re.MULTILINE),
    "the reader's prediction": re.compile(r"^<quiz>$", re.MULTILINE),
    "a verdict": re.compile(r'^## Verdict\n\n!!! verdict "', re.MULTILINE),
}


VERDICT_BLOCK = re.compile(r"^[ \t]*[!?]{3}\+?[ \t]*verdict\b", re.MULTILINE | re.IGNORECASE)


@dataclass(frozen=True)
class Problem:
    line: int
    message: str


Include = Block  # what the plugin and the transform call an executed block


def is_question_page(src_path: str) -> bool:
    """A markdown page inside a section folder of docs/ is a question page; the others are not
    (the notebooks' pages, generated into notebooks/, included)."""
    return "/" in src_path and src_path.endswith(".md")


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def executed_includes(source: str, project: Path | None = None) -> list[Include]:
    """The page's executed blocks, as the site's Markdown parses them (blocks.py): what the
    build starts, decides from and renders, one parse for all."""
    return executed(source, project)


def problems(src_path: str, source: str, project: Path) -> list[Problem]:
    """The problems of the page `docs/<src_path>`, whose markdown (front matter included) is `source`."""
    found = []
    for include in INCLUDE_LINE.finditer(source):
        path, line = include["path"], line_of(source, include.start())
        if not SNIPPET_PATH.fullmatch(path) and path.startswith("snippets/"):
            found.append(
                Problem(line, f"includes {path}: snippets live at snippets/<slug>/<name>.py")
            )
        if not (project / path).is_file():
            found.append(Problem(line, f"includes {path}, which does not exist"))
    verdicts = list(VERDICT_BLOCK.finditer(source))
    for extra in verdicts[1:]:
        found.append(
            Problem(
                line_of(source, extra.start()),
                "a second verdict block: a page has one, the one its runs decide",
            )
        )
    if is_question_page(src_path):
        for part, pattern in QUESTION_PAGE_PARTS.items():
            if not pattern.search(source):
                found.append(
                    Problem(1, f"a question page needs {part} ({pattern.pattern.strip('^$')})")
                )
        _, meta = front_matter(source)
        if not meta.get("short_answer"):
            found.append(
                Problem(
                    1,
                    "a question page needs `short_answer:` in its front matter, for the home page",
                )
            )
    return found
