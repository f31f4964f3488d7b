"""A page's markdown as the site shows it: strings and runs in, markdown and problems out.

One function, `render`, takes a page's markdown and what its snippets printed, and returns the
markdown to render and the problems found: the page rules, the verdict and the predictions a
question page's runs decide, the home page's table of questions, the notes on outputs another
torch prints differently, and the offer of the page's notebook. The MkDocs plugin and the
Markdown extension that Zensical loads both call it, so both builds show the same page; neither
is called back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from compression_answers import (
    claims,
    doc_links,
    page_rules,
    pages,
    predictions,
    prose_figures,
    versions,
)
from compression_answers.page_rules import Include

# What a page's snippets printed: (markdown source, docs/<page>.md) -> each include and its output.
OutputsOf = Callable[[str, str], list[tuple[Include, str]]]


@dataclass(frozen=True)
class Problem:
    """Something wrong with a page, where it is: a strict build fails on it."""

    where: str  # docs/<page>.md
    line: int | None
    message: str

    def __str__(self) -> str:
        return (
            f"{self.where}:{self.line}: {self.message}"
            if self.line
            else f"{self.where}: {self.message}"
        )


@dataclass(frozen=True)
class Decision:
    """The verdict a page's runs decide, the checked lines that decide it, and their answers."""

    verdict: claims.Verdict
    checked: list[claims.Checked]
    answers: list[predictions.Answer]


def decide(
    source: str, where: str, outputs: list[tuple[Include, str]]
) -> tuple[Decision | None, list[Problem]]:
    """The page's decision from what its snippets printed (None where they decide none), and
    the problems: a malformed or failed checked line, a figure in prose no run printed."""
    checked: list[claims.Checked] = []
    answers: list[predictions.Answer] = []
    try:
        for include, output in outputs:
            checked += claims.checked_lines(output, include.path)
            answers += predictions.answers(output, include.path)
    except claims.BadCheckedLine as error:
        return None, [Problem(where, None, str(error))]
    problems = [
        Problem(
            where,
            None,
            f"{check.snippet} printed {check.line!r}: the page's prose relies on it; "
            "rewrite the prose for what the run shows",
        )
        for check in claims.failed_checks(checked)
    ]
    printed = "\n".join(output for _, output in outputs)
    problems += [
        Problem(where, figure.line, figure.message())
        for figure in prose_figures.unsourced_figures(source, printed)
    ]
    if not claims.deciding(checked):
        message = "none of its snippets prints a checked line (claim: …: True), so nothing decides its verdict"
        return None, [*problems, Problem(where, None, message)]
    return Decision(claims.verdict(checked), claims.deciding(checked), answers), problems


@dataclass
class Decisions:
    """Each page's decision, made once per build: the home page's table and the page itself
    read the same one, and its problems are reported once, by the page."""

    outputs_of: OutputsOf
    found: dict[str, tuple[Decision | None, list[Problem]]] = field(default_factory=dict)

    def of(self, source: str, where: str) -> tuple[Decision | None, list[Problem]]:
        if where not in self.found:
            self.found[where] = decide(source, where, self.outputs_of(source, where))
        return self.found[where]


@dataclass(frozen=True)
class Notebook:
    """Where the page's notebook is served and where its file is, relative to the page."""

    page_url: str
    download_url: str


def question_page(
    markdown: str, source: str, where: str, decisions: Decisions, built: str = ""
) -> tuple[str, list[Problem]]:
    """The verdict and the prediction's right choice, as the page's runs decide them. Without a
    verdict the prediction has no key: it is left out, and the problem fails the build."""
    if not page_rules.QUESTION_PAGE_PARTS["a verdict"].search(source):
        return predictions.remove(markdown), []
    decision, problems = decisions.of(source, where)
    problems = list(problems)
    if decision is None:
        return predictions.remove(markdown), problems
    front = max(source.find(markdown), 0)  # the front matter's length
    try:
        markdown = predictions.render(markdown, decision.verdict, decision.answers)
    except pages.PageProblem as problem:
        problems.append(
            Problem(where, page_rules.line_of(source, front + problem.offset), str(problem))
        )
        markdown = predictions.remove(markdown)
    try:
        found = pages.verdict_problem(source, decision.verdict)
        if found:
            problems.append(Problem(where, page_rules.line_of(source, found.offset), str(found)))
        answers = [(answer.text, answer.snippet) for answer in decision.answers]
        markdown = pages.render_verdict(
            markdown, decision.verdict, decision.checked, answers, built
        )
        short_answer = page_rules.front_matter(source)[1].get("short_answer", "")
        markdown = pages.answer_first(markdown, str(short_answer), decision.verdict)
    except pages.PageProblem as problem:
        problems.append(Problem(where, page_rules.line_of(source, problem.offset), str(problem)))
    return markdown, problems


def home_page(
    markdown: str, where: str, question_pages: Sequence[tuple[str, str]], decisions: Decisions
) -> tuple[str, list[Problem]]:
    """The home page's table: each question page's (src_uri, source) title and short answer,
    and its runs' verdict."""
    rows, problems = [], []
    for src_uri, source in sorted(question_pages):
        body, meta = page_rules.front_matter(source)
        decision, _ = decisions.of(source, f"docs/{src_uri}")  # its problems are its page's
        try:
            title = pages.title_of(body)
        except pages.PageProblem as problem:
            problems.append(Problem(f"docs/{src_uri}", None, str(problem)))
            continue
        verdict = (
            claims.TITLE[decision.verdict.name].removeprefix("The usual answer ")
            if decision
            else "(no verdict: see the build log)"
        )
        rows.append(pages.QuestionRow(src_uri, title, meta.get("short_answer", ""), verdict))
    try:
        return pages.insert_question_table(markdown, rows), problems
    except pages.PageProblem as problem:
        return markdown, [*problems, Problem(where, None, str(problem))]


def with_other_versions(
    markdown: str, src_uri: str, differences: Sequence[versions.Difference], project: Path
) -> str:
    """Under each executed block whose snippet another recorded torch prints differently, say so."""
    # A block's include line names its snippet's file: a page naming none of these has no note,
    # and is not parsed again (its text here is not the one the build parsed before).
    if not any(Path(d.snippet).name in markdown for d in differences):
        return markdown
    lines = markdown.split("\n")
    for block in reversed(page_rules.executed_includes(markdown, project)):
        found = versions.shown([d for d in differences if d.snippet == block.path])
        include = block.line - 1
        if not found or include >= len(lines) - 1:
            continue
        indent = lines[include][: len(lines[include]) - len(lines[include].lstrip())]
        closing = include + 1  # the block is one include line between its fences
        lines[closing + 1 : closing + 1] = ["", versions.note_markdown(found, src_uri, indent)]
    return "\n".join(lines)


EVIDENCE = "\n## The evidence\n"


def with_notebook(markdown: str, notebook: Notebook) -> str:
    """The offer of the page's notebook, at the top of its evidence."""
    if EVIDENCE not in markdown:
        return markdown
    offer = (
        f"{EVIDENCE}\n[This page's snippets as a notebook, with their outputs]({notebook.page_url})"
        f'{{ .md-button }} <a class="md-button" href="{notebook.download_url}" download>'
        "Download the notebook</a> (generated from the same files; run it in an empty folder)\n"
    )
    return markdown.replace(EVIDENCE, offer, 1)


def built_with(today: date | None = None) -> str:
    """`torch 2.13.0 (+cpu), torchao 0.18.0, Python 3.11, on 2026-11-30`: what a verdict was
    decided under."""
    today = today or datetime.now(UTC).date()
    return f"{versions.describe(versions.environment())}, on {today.isoformat()}"


@dataclass
class Site:
    """What a page's rendering needs of the whole site, once per build."""

    project: Path
    decisions: Decisions
    question_pages: Sequence[tuple[str, str]]  # every question page's (src_uri, source)
    differences: Sequence[versions.Difference] = ()
    notebooks: Mapping[str, Notebook] = field(default_factory=dict)  # by question page's src_uri
    # The API names prose may link to their documentation (api_index.doc_links).
    doc_links: Mapping[str, str] = field(default_factory=dict)
    built: str = ""  # the versions and date of this build, named under each verdict


def render(markdown: str, source: str, src_uri: str, site: Site) -> tuple[str, list[Problem]]:
    """The page `docs/<src_uri>` (its markdown, and its `source` with front matter, for true
    line numbers) as the site shows it, and its problems."""
    where = f"docs/{src_uri}"
    problems = [
        Problem(where, problem.line, problem.message)
        for problem in page_rules.problems(src_uri, source, site.project)
    ]
    if page_rules.is_question_page(src_uri):
        markdown, found = question_page(markdown, source, where, site.decisions, site.built)
        problems += found
        notebook = site.notebooks.get(src_uri)
        if notebook is not None:
            markdown = with_notebook(markdown, notebook)
    elif src_uri == "index.md" and pages.TABLE_MARKER in markdown:
        markdown, found = home_page(markdown, where, site.question_pages, site.decisions)
        problems += found
    markdown = doc_links.linked(markdown, site.doc_links)
    return with_other_versions(markdown, src_uri, site.differences, site.project), problems
