"""MkDocs hook: the events that run the site's snippets and check its pages.

The work is done by the compression_answers package: `fence` renders each executed block (it is
named in mkdocs.yml, so Zensical uses it too), `runs` starts every snippet before the first page
renders, `runner` runs one, `cache` keeps outputs, `page_rules` checks a page's source, and
`claims` and `pages` write the verdicts the runs decide. This file only connects them to MkDocs'
events. Settings: see compression_answers.settings.
"""

from __future__ import annotations

import logging
from pathlib import Path

import markdown_exec
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File
from mkdocs.utils.meta import get_data

from compression_answers import (
    api_index,
    claims,
    page_rules,
    pages,
    predictions,
    prose_figures,
    runs,
    settings,
    versions,
)

log = logging.getLogger("mkdocs.hooks.executed_snippets")
_command = "build"
# page -> its verdict and the claims and caveats that decide it, once per build (None: reported)
_decided_pages: dict[
    str, tuple[claims.Verdict, list[claims.Checked], list[predictions.Answer]] | None
] = {}
_pages_seen: set[str] = set()  # the pages rendered in this build, by src_uri
_pages: list = []  # the build's documentation pages (MkDocs File objects)
_other_versions: list[versions.Difference] = []  # outputs another recorded torch prints differently


def on_startup(command, dirty):
    global _command  # noqa: PLW0603 - which command this process serves, for on_config
    _command = command


def on_config(config):
    try:
        settings.read()
    except settings.BadSetting as error:
        raise PluginError(f"{error} (an environment variable the build reads)") from None
    # markdown-exec runs as a superfences fence, not as a plugin: its warnings (a snippet that
    # raised) must reach MkDocs's own loggers, where strict mode counts them.
    markdown_exec.patch_loggers(lambda name: logging.getLogger(f"mkdocs.plugins.{name}"))
    if _command == "serve":
        # While writing, a failing snippet shows its traceback in its page and serve keeps
        # serving; `mkdocs build --strict`, as CI runs it, still fails on it.
        config.strict = False
    return config


def on_pre_build(config):
    _decided_pages.clear()
    _pages_seen.clear()
    runs.begin(Path(config.config_file_path).parent)


@event_priority(110)  # first: every snippet starts before the notebooks hook waits for one
def on_files(files, config):
    current = runs.current()
    files.append(File.generated(config, "api-index.md", content=_api_index(files, current.project)))
    try:
        _other_versions[:] = versions.differences(current.project)
        page = versions.page_for(current.project)
    except ValueError as error:
        raise PluginError(str(error)) from None
    written = files.get_file_from_path(versions.PAGE)  # by `python -m compression_answers.versions`
    if written is not None:
        files.remove(written)
    files.append(File.generated(config, versions.PAGE, content=page))
    _pages[:] = files.documentation_pages()
    for file in _pages:
        for include in page_rules.executed_includes(file.content_string):
            # A missing file is reported with its page and line.
            if (current.project / include.path).is_file():
                current.start(include.path, include.returncode, include.width)
    return files


def _api_index(files, project: Path) -> str:
    """The API index page, from the snippets (tests/test_api_index.py fails if a function is uncalled)."""
    found = api_index.index(project)
    sources = ((file.src_uri, file.content_string) for file in files.documentation_pages())
    pages_of = {
        snippet: [(uri, title.replace("|", "\\|")) for uri, title in found_on]
        for snippet, found_on in pages.snippet_pages(sources).items()
    }
    return api_index.markdown(found, pages_of)


def _with_other_versions(markdown: str, src_uri: str) -> str:
    """Under each executed include whose snippet another recorded torch prints differently, say so."""

    def noted(match) -> str:
        found = [d for d in _other_versions if d.snippet == match["path"]]
        return match[0] + (
            "\n\n" + versions.note_markdown(found, src_uri, match["indent"]) if found else ""
        )

    return page_rules.EXECUTED_INCLUDE.sub(noted, markdown)


def _checked_lines(
    source: str, where: str
) -> tuple[list[claims.Checked], list[predictions.Answer], str]:
    """The checked lines and `answer:` lines of every snippet a page includes that ran (a failed
    one fails the build itself), and all that those snippets printed."""
    checked, answers, outputs = [], [], []
    for include, output in runs.current().included_outputs(source, where):
        checked += claims.checked_lines(output, include.path)
        answers += predictions.answers(output, include.path)
        outputs.append(output)
    return checked, answers, "\n".join(outputs)


def _decided(
    source: str, where: str
) -> tuple[claims.Verdict, list[claims.Checked], list[predictions.Answer]] | None:
    """The verdict the page's runs decide, with its claims and caveats (None, reported, if they
    decide none); once per build."""
    if where not in _decided_pages:
        _decided_pages[where] = _decide(source, where)
    return _decided_pages[where]


def _decide(
    source: str, where: str
) -> tuple[claims.Verdict, list[claims.Checked], list[predictions.Answer]] | None:
    try:
        checked, answers, outputs = _checked_lines(source, where)
    except claims.BadCheckedLine as error:
        log.warning(f"{where}: {error}")
        return None
    for check in claims.failed_checks(checked):
        log.warning(
            f"{where}: {check.snippet} printed {check.line!r}: the page's prose relies on it; "
            "rewrite the prose for what the run shows"
        )
    for figure in prose_figures.unsourced_figures(source, outputs):
        log.warning(f"{where}:{figure.line}: {figure.message()}")
    if not claims.deciding(checked):
        log.warning(
            f"{where}: none of its snippets prints a checked line (claim: …: True), so nothing decides its verdict"
        )
        return None
    return claims.verdict(checked), claims.deciding(checked), answers


def _with_verdict(markdown: str, source: str, where: str) -> str:
    """The verdict and the prediction's right choice, as the page's runs decide them."""
    found = _decided(source, where)
    if found is None:
        # Already reported: leave out the predictions, which have no key without a verdict.
        return predictions.remove(markdown)
    decided, checked, answers = found
    front = max(source.find(markdown), 0)  # the front matter's length
    try:
        markdown = predictions.render(markdown, decided, answers)
    except pages.PageProblem as problem:
        log.warning(f"{where}:{page_rules.line_of(source, front + problem.offset)}: {problem}")
        markdown = predictions.remove(markdown)
    try:
        problem = pages.verdict_problem(source, decided)
        if problem:
            log.warning(f"{where}:{page_rules.line_of(source, problem.offset)}: {problem}")
        return pages.render_verdict(
            markdown, decided, checked, [(answer.text, answer.snippet) for answer in answers]
        )
    except pages.PageProblem as problem:
        log.warning(f"{where}:{page_rules.line_of(source, problem.offset)}: {problem}")
        return markdown


def _with_question_table(markdown: str, source: str, where: str, files) -> str:
    """The home page's table: each question page's title and short answer, and its runs' verdict."""
    rows = []
    for file in sorted(files.documentation_pages(), key=lambda f: f.src_uri):
        if not page_rules.is_question_page(file.src_uri):
            continue
        page_source = file.content_string
        body, meta = get_data(page_source)
        # A missing short_answer is a page rule's to report.
        found = _decided(page_source, f"docs/{file.src_uri}")
        try:
            title = pages.title_of(body)
        except pages.PageProblem as problem:
            log.warning(f"docs/{file.src_uri}: {problem}")
            continue
        verdict = (
            claims.TITLE[found[0].name].removeprefix("The usual answer ")
            if found
            else "(no verdict: see the build log)"
        )
        rows.append(pages.QuestionRow(file.src_uri, title, meta.get("short_answer", ""), verdict))
    try:
        return pages.insert_question_table(markdown, rows)
    except pages.PageProblem as problem:
        log.warning(f"{where}: {problem}")
        return markdown


# Before other plugins read the page: the build writes its verdict and predictions.
@event_priority(50)
def on_page_markdown(markdown, page, config, files):
    _pages_seen.add(page.file.src_uri)
    source = page.file.content_string  # with front matter: true line numbers
    where = f"docs/{page.file.src_uri}"
    current = runs.current()
    current.page = (where, source)
    for problem in page_rules.problems(page.file.src_uri, source, current.project):
        log.warning(f"{where}:{problem.line}: {problem.message}")
    if page_rules.is_question_page(page.file.src_uri):
        found = page_rules.QUESTION_PAGE_PARTS["a verdict"].search(source)
        # Without a verdict the prediction has no key: it is left out, and the warning fails the build.
        markdown = _with_verdict(markdown, source, where) if found else predictions.remove(markdown)
    elif page.file.src_uri == "index.md" and pages.TABLE_MARKER in markdown:
        markdown = _with_question_table(markdown, source, where, files)
    return _with_other_versions(markdown, page.file.src_uri)


def on_page_content(html, page, config, files):
    """Every executed include of the page went through the fence: none rendered without its output."""
    where = f"docs/{page.file.src_uri}"
    current = runs.current()
    rendered = list(current.rendered.get(where, []))
    for include in page_rules.executed_includes(page.file.content_string):
        if include.path in rendered:
            rendered.remove(include.path)
        else:
            log.warning(
                f"{where}:{include.line}: the block that runs {include.path} rendered without its output"
            )
    current.page = None
    return html


def on_build_error(error):
    runs.end()


def on_post_build(config):
    current = runs.current()
    current.shutdown()
    # Every page was rendered (not a serve rebuild of some): the checks saw them all.
    if all(file.src_uri in _pages_seen for file in _pages):
        included = {
            include.path
            for file in _pages
            for include in page_rules.executed_includes(file.content_string)
        }
        for snippet in sorted((current.project / "snippets").glob("*/*.py")):
            path = snippet.relative_to(current.project).as_posix()
            if path not in included:
                log.warning(f"{path}: no page includes this snippet")
        if current.settings.cache and current.cache.directory.is_dir():
            current.cache.prune()
    log.info(
        f"snippets: {len(current.executed)} executed "
        f"({sum(seconds for _, seconds in current.executed):.2f} s of run time, "
        f"{current.settings.jobs} at a time), {len(current.from_cache)} from cache"
    )
    runs.end()
