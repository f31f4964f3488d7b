"""Each question page's snippets as a Jupyter notebook, generated from the same files.

One code cell per snippet, in page order: never a copy kept by hand. The build stores in each
cell what its snippet printed in that build, so a reader sees the results before running
anything; mkdocs-jupyter renders the notebook as the page `notebooks/<slug>/`, with the file to
download beside it, and the question page links to both at the top of its evidence.

A figure's snippet prints SVG markup: its cell captures that (`%%capture figure`) and the next
cell draws it, so the notebook shows the figure, not the markup.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from compression_answers import pages
from compression_answers.page_rules import (
    SNIPPET_PATH,
    executed_includes,
    front_matter,
    is_question_page,
)

NOTEBOOKS = "notebooks"


def question_pages(docs: Path) -> list[Path]:
    return [
        page
        for page in sorted(docs.rglob("*.md"))
        if is_question_page(page.relative_to(docs).as_posix())
    ]


DRAW_FIGURE = "from IPython.display import HTML\n\nHTML(figure.stdout)"


def notebook_for(
    page: Path,
    project: Path,
    outputs: dict[str, str] | None = None,
    *,
    built: str = "",
    question_url: str = "",
) -> nbformat.NotebookNode:
    """The page's notebook; with `outputs` (snippet path -> what it printed), stored in its cells.
    Its first cell names the build the outputs come from (`built`: versions and date) and links
    the question page (`question_url`, absolute: the file is read away from the site)."""
    source = page.read_text(encoding="utf-8")
    title = pages.title_of(front_matter(source)[0])
    includes = executed_includes(source, project)
    snippets = list(dict.fromkeys(include.path for include in includes))
    figures = {include.path for include in includes if include.html}
    cells = [nbformat.v4.new_markdown_cell(introduction(title, built, question_url))]
    # A missing file is reported, with its page and line, by executed_snippets.py.
    codes = {
        path: (project / path).read_text(encoding="utf-8")
        for path in snippets
        if (project / path).is_file()
    }
    # A snippet that runs another one with runpy needs that file on disk, beside the notebook.
    needed = sorted(
        {
            path
            for code in codes.values()
            for path in SNIPPET_PATH.findall(code)
            if (project / path).is_file()
        }
    )
    if needed:
        lines = [
            "# Later cells run these snippet files with runpy: write them next to this notebook.",
            "from pathlib import Path",
            "",
        ]
        for path in needed:
            code = (project / path).read_text(encoding="utf-8")
            lines += [
                f'Path("{path}").parent.mkdir(parents=True, exist_ok=True)',
                f'_ = Path("{path}").write_text({code!r})',  # `_ =`: no stray count in the cell
            ]
        cells.append(nbformat.v4.new_code_cell("\n".join(lines), metadata={"setup": True}))
    for path, code in codes.items():
        cells.append(nbformat.v4.new_markdown_cell(f"`{path}`"))
        printed = (outputs or {}).get(path)
        if path in figures:
            cells.append(
                nbformat.v4.new_code_cell(
                    "%%capture figure\n" + code.rstrip("\n"),
                    metadata={"snippet": path, "figure": True},
                )
            )
            drawn = [] if printed is None else [_figure_output(printed)]
            cells.append(
                nbformat.v4.new_code_cell(DRAW_FIGURE, metadata={"draws": path}, outputs=drawn)
            )
        else:
            stream = (
                []
                if printed is None
                else [nbformat.v4.new_output("stream", name="stdout", text=printed)]
            )
            cells.append(
                nbformat.v4.new_code_cell(
                    code.rstrip("\n"), metadata={"snippet": path}, outputs=stream
                )
            )
    count = 0
    for number, cell in enumerate(cells):
        cell.id = f"cell-{number}"  # not random: the same files make the same notebook
        if cell.cell_type == "code" and outputs is not None:
            count += 1
            cell.execution_count = count
            for output in cell.outputs:
                if output.output_type == "execute_result":
                    output.execution_count = count
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return notebook


def introduction(title: str, built: str = "", question_url: str = "") -> str:
    """The notebook's first cell: what it is, where its question is, which build printed it."""
    lines = [f"# Notebook: {title}", ""]
    if question_url:
        lines += [f"The question, its evidence and its verdict: <{question_url}>", ""]
    lines.append(
        "The snippets of the page, one per cell, generated from the files the page runs, with "
        "what each printed when the site was built. Run the cells top to bottom, in an empty "
        "folder: each prints what the page shows, and a figure's cell draws it."
    )
    if built:
        lines += ["", f"The stored outputs come from the build with {built}."]
    return "\n".join(lines)


def _figure_output(svg: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output(
        "execute_result",
        data={"text/html": svg, "text/plain": "<IPython.core.display.HTML object>"},
    )


def notebook_name(page: Path) -> str:
    """The notebook's path among the site's files: mkdocs-jupyter serves it as notebooks/<slug>/."""
    return f"{NOTEBOOKS}/{page.stem}.ipynb"


def notebook_download(page: Path) -> str:
    """Where mkdocs-jupyter copies the notebook file, beside its page."""
    return f"{NOTEBOOKS}/{page.stem}/{page.stem}.ipynb"
