"""The executed code block, as a `pymdownx.superfences` custom fence that `mkdocs.yml` names.

markdown-exec renders the block (its public `validator` and `base_format`); the code runs in this
package's runner, with its cache and time limit, under MkDocs and Zensical alike. Rules:

- An executed block is a snippet file: its title is the file's path and its code is the file's
  code, checked when it runs, whatever the fence's spelling or indentation.
- Only the options this site supports are accepted: any other is refused, by name.
- Only Python executes: an executed block in any other language is refused.
- The result comes first and the code follows, collapsed under its file's path: a reader sees
  what the run shows before the set-up, and the file to copy stays named.
- A table the snippet prints keeps its rows on one line (the block scrolls inside itself on a
  narrow screen), decided from the output: lines with column gaps, two or more of them.
- The site's search leaves an output out (its index, and so its results and previews: a table of
  numbers is no way to find a page), but for the lines that name an exception or a warning, which
  stay searchable in a hidden paragraph before it: a page is found by the error it shows. Decided
  from the output.
- A snippet that fails is markdown-exec's `ExecutionError`: its traceback is shown in place and
  logged as a warning, which fails a strict build. Anything else that goes wrong here raises
  `SuperFencesException`, the one exception superfences does not swallow: the build stops.
"""

from __future__ import annotations

import html as html_module
import re
from typing import Any

import markdown_exec
from pymdownx.superfences import SuperFencesException

from compression_answers import runs
from compression_answers.page_rules import SNIPPET_PATH, TRUE
from compression_answers.runner import SnippetFailed

SUPPORTED = {"exec", "source", "result", "html", "title", "width", "returncode"}
SOURCE_BLOCK = '<div class="highlight"><span class="filename">'
SOURCE_END = (
    "</code></pre></div>"  # pygments' markup holds no nested block: the first end is the source's
)


# A column gap: two spaces or more between printed words. Prose has one.
COLUMN_GAP = re.compile(r"\S {2,}\S")
ROW = '<span class="snippet-row">'


def table_rows_kept(result: str) -> str:
    """The printed table's rows in a text result, each marked to stay on one line (the block
    scrolls inside itself where a row is wider than the screen); every other line still wraps.
    Decided from the output: a line with a column gap, in a block that has two of them or more."""
    result = str(result)  # markdown-exec's Markup would escape what is joined to it
    start, end = result.find("<code>"), result.rfind("</code>")
    if not result.startswith('<div class="highlight">') or start < 0 or end < start:
        return result  # a figure, or markup of its own: nothing to keep
    lines = result[start + len("<code>") : end].split("\n")
    rows = [COLUMN_GAP.search(html_module.unescape(line)) is not None for line in lines]
    if sum(rows) < 2:
        return result
    body = "\n".join(
        f"{ROW}{line}</span>" if row else line for line, row in zip(lines, rows, strict=True)
    )
    return result[: start + len("<code>")] + body + result[end:]


# The name of an exception or a warning, as a run prints it: `TypeError: ...`, `UserWarning`.
EXCEPTION_NAME = re.compile(r"\b[A-Z]\w*(?:Error|Exception|Warning)\b")
# Material's search plugin leaves an element with this attribute, and all inside it, out of its
# index. Its parser knows elements by their tag alone: the first end tag of the same name inside
# the element ends the exclusion, so it marks a block that holds no nested element of its kind.
SEARCH_EXCLUDE = "data-search-exclude"
TEXT_RESULT = '<div class="highlight">'


def out_of_search(result: str) -> str:
    """The result marked for the site's search to leave out, after a hidden paragraph with the
    lines it prints that name an exception or a warning (none, when none does): the search finds
    a page by the error it shows, and not by its tables of numbers. A text result is pygments'
    one block, with no nested <div>; a figure is wrapped in one. Decided from the output."""
    result = str(result)  # markdown-exec's Markup would escape what is joined to it
    if not result.strip():
        return result
    if not result.startswith(TEXT_RESULT):
        return f"<div {SEARCH_EXCLUDE}>\n{result}\n</div>"
    start, end = result.find("<code>"), result.rfind("</code>")
    lines = result[start + len("<code>") : end].split("\n") if 0 <= start < end else []
    plain = [re.sub(r"<[^>]*>", "", line) for line in lines]  # a table row's mark taken off
    named = [line for line in plain if EXCEPTION_NAME.search(html_module.unescape(line))]
    marked = f'<div class="highlight" {SEARCH_EXCLUDE}>' + result[len(TEXT_RESULT) :]
    if not named:
        return marked
    found = "\n".join(named)  # escaped, as the block holds them
    return f'<p class="snippet-exceptions" hidden>{found}</p>\n{marked}'


def results_first(rendered: str, title: str) -> str:
    """markdown-exec's source-then-result as the result, then the source collapsed under its path."""
    if not rendered.startswith(SOURCE_BLOCK) or SOURCE_END not in rendered:
        return rendered  # no source shown: nothing to move
    end = rendered.index(SOURCE_END) + len(SOURCE_END)
    source = rendered[:end]
    result = out_of_search(table_rows_kept(rendered[end:].strip("\n")))
    summary = f"The code: <code>{html_module.escape(title)}</code>"
    # One block: a result that starts inline (a figure's <svg>) must not be wrapped in a <p>.
    return (
        f'<div class="snippet-run">\n{result}\n<details class="snippet-source"><summary>{summary}</summary>\n'
        f"{source}\n</details>\n</div>\n"
    )


def where(title: str = "", src: str = "") -> str:
    """`docs/<page>.md:<line>` of the block titled `title` (whose code starts like `src`, when a
    title appears twice), as far as the build knows the page."""
    page = runs.current().page
    if page is None:
        return "(page unknown)"
    name, source = page
    found = [m.start() for m in re.finditer(re.escape(f'title="{title}"'), source)] if title else []
    first_line = src.strip().splitlines()[0].strip() if src.strip() else ""
    for index in found:
        following = source[index:].split("\n", 2)[1:2]
        if first_line and following and following[0].strip() == first_line:
            return f"{name}:{source.count(chr(10), 0, index) + 1}"
    return f"{name}:{source.count(chr(10), 0, found[0]) + 1}" if found else name


def refuse(message: str, title: str = "", src: str = "") -> SuperFencesException:
    return SuperFencesException(f"{where(title, src)}: {message}")


def validator(
    language: str, inputs: dict[str, str], options: dict[str, Any], attrs: dict[str, Any], md
) -> bool:
    """Accept a block markdown-exec would execute, once its options are ours; refuse the others loudly."""
    if inputs.get("exec", "no").lower() not in TRUE:
        return False  # a plain code block, highlighted as usual
    title = inputs.get("title", "")
    if language not in {"python", "py"}:
        raise refuse(
            f"an executed {language!r} block: only Python snippets execute on this site", title
        )
    unsupported = sorted(set(inputs) - SUPPORTED)
    if unsupported:
        raise refuse(
            f"{title or 'an executed block'}: option {', '.join(unsupported)} is not supported here "
            f"(supported: {', '.join(sorted(SUPPORTED))})",
            title,
        )
    return markdown_exec.validator(language, inputs, options, attrs, md)


def _file_code(title: str) -> str:
    if not SNIPPET_PATH.fullmatch(title):
        raise refuse(
            f'an executed block needs title="snippets/<slug>/<name>.py", the file it runs; got {title!r}',
            title,
        )
    current = runs.current()
    path = current.project / title
    if not path.is_file():
        raise refuse(f"{title} does not exist", title)
    return path.read_text(encoding="utf-8")


def formatter(
    src: str, language: str, css_class: str, options: dict[str, Any], md, **kwargs: Any
) -> str:
    """Run the block's snippet and render it with markdown-exec."""
    title = options.get("extra", {}).get("title", "")
    try:
        code = _file_code(title)
        if src.strip("\n") != code.strip("\n"):
            raise refuse(
                f"the block titled {title} holds other code than the file: "
                f'write it as one line, --8<-- "{title}"',
                title,
                src,
            )

        def run(_code: str, returncode: int = 0, **_: Any) -> str:
            try:
                return runs.current().output(
                    title, returncode=returncode, width=options.get("width") or None
                )
            except SnippetFailed as error:
                raise markdown_exec.ExecutionError(
                    markdown_exec.code_block("text", str(error))
                ) from None

        html = results_first(
            markdown_exec.base_format(language="python", run=run, code=code, md=md, **options),
            title,
        )
        return html
    except SuperFencesException:
        raise
    except Exception as error:  # a fault of the runner or the cache must stop the build
        raise refuse(
            f"{title}: the runner failed: {type(error).__name__}: {error}", title
        ) from error
