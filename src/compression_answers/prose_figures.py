"""Figures a page's prose states, held to its runs: strings in, problems out.

A decimal figure or a percentage in a paragraph of prose must be printed by one of the page's
snippets, or the paragraph must cite where it comes from (a link to the source). What stays a
matter of review: a whole number ("5 seeds"), a comparison in words ("larger"), and whether a
cited source says what the paragraph says it does.

Left out, because they are not the page's own statements: the front matter, headings, the
question as quoted (a block quote, or words in quotation marks), the usual answer under review, the predictions' options
(keyed by the runs), code blocks, and the verdict, which the build writes from the checked
lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from compression_answers.page_rules import QUESTION_PAGE_PARTS, VERDICT_BLOCK

FIGURE = re.compile(r"(?<![\w.])[-+−]?(?:\d+\.\d+%?|\d+%)")
FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
# Blocks whose body is indented under their first line: the page rules' own patterns for them.
QUOTED_BLOCKS = (QUESTION_PAGE_PARTS["the usual answer"], VERDICT_BLOCK)
QUIZ_START, QUIZ_END = re.compile(r"^<quiz( answer)?>$"), re.compile(r"^</quiz>$")
CITED = re.compile(r"\]\((?:https?:)?//")
QUOTED = re.compile(r'"[^"\n]*"|“[^”\n]*”')  # the question's own words, quoted


@dataclass(frozen=True)
class UnsourcedFigure:
    line: int
    figure: str

    def message(self) -> str:
        return (
            f"the prose states {self.figure}, which no output of the page prints and no link in "
            "its paragraph sources: print it from a run, or cite where it comes from"
        )


def prose_paragraphs(source: str) -> list[tuple[int, str]]:
    """The page's own prose, paragraph by paragraph, each with the line it starts on."""
    lines = source.split("\n")
    skip_until = 0
    if lines and lines[0] == "---":  # front matter
        skip_until = next((i + 1 for i in range(1, len(lines)) if lines[i] == "---"), 0)
    paragraphs: list[tuple[int, str]] = []
    current: list[str] = []
    start = 0
    fence = None
    indented_block = quiz = False

    def close() -> None:
        if current:
            paragraphs.append((start + 1, "\n".join(current)))
            current.clear()

    for index, line in enumerate(lines):
        if index < skip_until:
            continue
        opened = FENCE.match(line)
        if fence:
            if opened and opened[1][0] == fence[0] and len(opened[1]) >= len(fence):
                fence = None
            continue
        if opened:
            close()
            fence = opened[1]
            continue
        if quiz:
            quiz = not QUIZ_END.match(line)
            continue
        if QUIZ_START.match(line):
            close()
            quiz = True
            continue
        if indented_block:
            if not line.strip() or line.startswith((" ", "\t")):
                continue
            indented_block = False
        if any(block.match(line) for block in QUOTED_BLOCKS):
            close()
            indented_block = True
            continue
        if not line.strip() or line.startswith(("#", ">")):
            close()
            continue
        if not current:
            start = index
        current.append(line)
    close()
    return paragraphs


def unsourced_figures(source: str, outputs: str) -> list[UnsourcedFigure]:
    """The figures in the page's prose (`source`, its markdown) that none of its snippets'
    `outputs` prints and no link in their paragraph sources."""
    found = []
    for line, paragraph in prose_paragraphs(source):
        if CITED.search(paragraph):
            continue
        unquoted = QUOTED.sub(lambda quote: " " * len(quote[0]), paragraph)
        for match in FIGURE.finditer(unquoted):
            figure = match[0].replace("−", "-").lstrip("+")
            if figure not in outputs and figure.lstrip("-") not in outputs:
                found.append(
                    UnsourcedFigure(line + paragraph.count("\n", 0, match.start()), figure)
                )
    return found
