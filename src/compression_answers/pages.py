"""What the build writes into a question page from its runs: the verdict, and the home page's
table of questions (compression_answers.predictions keys the predictions). Strings in, strings
(or a PageProblem) out."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from compression_answers.claims import ADMONITION, TITLE, VERDICTS, Checked, Verdict
from compression_answers.page_rules import executed_includes, front_matter

# The author writes the verdict the prose under it was written for; the build renders the one
# the runs decide, and a mismatch fails the (strict) build, so prose never outlives its verdict.
DECLARED_VERDICT = re.compile(r'^!!! verdict "(?P<name>[^"\n]*)"$', re.MULTILINE)
TITLE_LINE = re.compile(r"^# (?P<title>.+)$", re.MULTILINE)
TABLE_MARKER = "<!-- the question table -->"


class PageProblem(ValueError):
    """Something in a page's markdown the build cannot render; `offset` points at it."""

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.offset = offset


def declared_verdict(markdown: str) -> re.Match:
    match = DECLARED_VERDICT.search(markdown)
    if match is None:
        raise PageProblem(
            'a question page needs its verdict as `!!! verdict "<verdict>"` under "## Verdict"'
        )
    if match["name"] not in VERDICTS:
        raise PageProblem(
            f"the verdict {match['name']!r} is none of {', '.join(map(repr, VERDICTS))}",
            match.start(),
        )
    return match


def verdict_problem(markdown: str, decided: Verdict) -> PageProblem | None:
    """The prose under the verdict was written for another verdict than the runs decide."""
    declared = declared_verdict(markdown)
    if declared["name"] == decided.name:
        return None
    return PageProblem(
        f"the runs decide the verdict {decided.name!r}, but the prose under it was written for "
        f"{declared['name']!r}: {decided.explain()}. Rewrite the verdict for what the run shows",
        declared.start(),
    )


def checked_list(
    checked: list[Checked], answers: Sequence[tuple[str, str]] = (), indent: str = "    "
) -> str:
    """The run's answers (text, snippet), then the checked lines that decide the verdict."""
    lines = []
    for text, snippet in dict.fromkeys(answers):
        lines += [f"{indent}The run's answer: **{text}** (`{snippet}`).", ""]
    lines += [f"{indent}Decided by the checked lines the runs above printed:", ""]
    for c in checked:
        lines.append(f"{indent}- `{c.kind}`: {c.statement}: **{c.value}** (`{c.snippet}`)")
    return "\n".join(lines) + "\n"


def render_verdict(
    markdown: str,
    decided: Verdict,
    checked: list[Checked],
    answers: Sequence[tuple[str, str]] = (),
    built: str = "",
) -> str:
    """Replace the declared verdict by the decided one, with the run's answer and the checked
    lines that decide it: the verdict states the figures the runs printed. `built` names the
    versions and the date of the build whose runs decided it."""
    declared = declared_verdict(markdown)
    # The admonition's colour is the verdict's; its class `verdict` sets its text at the size of
    # the prose around it (docs/stylesheets/extra.css), not at an admonition's smaller one.
    header = f'!!! {ADMONITION[decided.name]} verdict "{TITLE[decided.name]}"\n'
    rest = markdown[declared.end() + 1 :]
    when = f"\n    Decided by this build's runs: {built}.\n" if built else ""
    return (
        markdown[: declared.start()] + header + checked_list(checked, answers) + when + "\n" + rest
    )


def plain_text(markdown: str) -> str:
    """A line of markdown as plain text, for a meta description: no backticks, emphasis or links."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    return re.sub(r"[`*]", "", text).strip()


ANSWER_BOX_TITLE = "The answer, as this build's runs decide it (open it once you have predicted)"


def answer_first(markdown: str, short_answer: str, decided: Verdict) -> str:
    """Right under the page's title, its question: the short answer and the verdict the runs
    decide, collapsed for a reader who wants to predict first, and one click from the top."""
    title = TITLE_LINE.search(markdown)
    if title is None or not short_answer:
        return markdown  # the page rules report what is missing
    box = (
        f'\n??? {ADMONITION[decided.name]} "{ANSWER_BOX_TITLE}"\n'
        f"    **{TITLE[decided.name]}.** {short_answer}\n\n"
        "    [The verdict, with the checked lines that decide it](#verdict)\n"
    )
    return markdown[: title.end()] + "\n" + box + markdown[title.end() :]


@dataclass(frozen=True)
class QuestionRow:
    link: str  # relative to the home page
    title: str
    short_answer: str
    verdict: str


def title_of(markdown: str) -> str:
    match = TITLE_LINE.search(markdown)
    if match is None:
        raise PageProblem("a question page needs a `# <title>` line")
    return match["title"].strip()


ANSWERS_TITLE = "The short answers, and what the runs decide of the usual ones (spoilers)"


def snippet_pages(sources: Iterable[tuple[str, str]]) -> dict[str, list[tuple[str, str]]]:
    """Each included snippet's pages, in the order given as (path under docs/, source): the
    page's path and its title (the path, when it has none: the page's own check reports it)."""
    found: dict[str, list[tuple[str, str]]] = {}
    for src_uri, source in sources:
        includes = executed_includes(source)
        if not includes:
            continue
        try:
            title = title_of(front_matter(source)[0])
        except PageProblem:
            title = src_uri
        for include in includes:
            found.setdefault(include.path, []).append((src_uri, title))
    return found


def question_table(rows: list[QuestionRow]) -> str:
    """The questions, then their answers and verdicts collapsed: a reader predicts first."""
    lines = ["| Question | Section |", "| --- | --- |"]
    for row in rows:
        lines.append(f"| [{row.title}]({row.link}) | {row.link.split('/')[0].capitalize()} |")
    lines += ["", f'??? success "{ANSWERS_TITLE}"', ""]
    lines.append("    | Question | Short answer | The usual answer, by the runs |")
    lines.append("    | --- | --- | --- |")
    for row in rows:
        lines.append(f"    | [{row.title}]({row.link}) | {row.short_answer} | {row.verdict} |")
    return "\n".join(lines)


def insert_question_table(markdown: str, rows: list[QuestionRow]) -> str:
    if TABLE_MARKER not in markdown:
        raise PageProblem(f"the home page needs {TABLE_MARKER} where the table of questions goes")
    return markdown.replace(TABLE_MARKER, question_table(rows), 1)
