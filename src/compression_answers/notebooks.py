"""Each question page's snippets as a Jupyter notebook, generated from the same files.

One code cell per snippet, in page order: never a copy kept by hand. It is served as
`notebooks/<slug>.ipynb`, and the page links to it at the top of its evidence.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from mkdocs.utils.meta import get_data

from compression_answers import pages
from compression_answers.page_rules import EXECUTED_INCLUDE, SNIPPET_PATH, is_question_page

NOTEBOOKS = "notebooks"


def question_pages(docs: Path) -> list[Path]:
    return [
        page
        for page in sorted(docs.rglob("*.md"))
        if is_question_page(page.relative_to(docs).as_posix())
    ]


def notebook_for(page: Path, project: Path) -> nbformat.NotebookNode:
    source = page.read_text(encoding="utf-8")
    title = pages.title_of(get_data(source)[0])
    snippets = list(dict.fromkeys(match["path"] for match in EXECUTED_INCLUDE.finditer(source)))
    cells = [
        nbformat.v4.new_markdown_cell(
            f"# {title}\n\nThe snippets of the page, one per cell, generated from the files the page "
            "runs. Run the cells top to bottom: each prints what the page shows (a figure's cell "
            "prints its SVG markup)."
        )
    ]
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
                f'Path("{path}").write_text({code!r})',
            ]
        cells.append(nbformat.v4.new_code_cell("\n".join(lines), metadata={"setup": True}))
    for path, code in codes.items():
        cells.append(nbformat.v4.new_markdown_cell(f"`{path}`"))
        cells.append(nbformat.v4.new_code_cell(code.rstrip("\n"), metadata={"snippet": path}))
    for number, cell in enumerate(cells):
        cell.id = f"cell-{number}"  # not random: the same files make the same notebook
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return notebook


def notebook_name(page: Path) -> str:
    return f"{NOTEBOOKS}/{page.stem}.ipynb"
