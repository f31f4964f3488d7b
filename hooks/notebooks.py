"""MkDocs hook: every question page offers its snippets as a Jupyter notebook.

The notebook is generated at build time from the snippet files the page includes, in page order,
one code cell per snippet: never a copy kept by hand. It is served as
`notebooks/<slug>.ipynb`, and the page links to it at the top of its evidence.
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from mkdocs.utils.meta import get_data

from compression_answers import pages

sys.path.insert(0, str(Path(__file__).parent))
from executed_snippets import EXECUTED_INCLUDE, SNIPPET_PATH, is_question_page  # noqa: E402

NOTEBOOKS = "notebooks"


def question_pages(docs: Path) -> list[Path]:
    return [page for page in sorted(docs.rglob("*.md")) if is_question_page(page.relative_to(docs).as_posix())]


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
    codes = {path: (project / path).read_text(encoding="utf-8") for path in snippets if (project / path).is_file()}
    # A snippet that runs another one with runpy needs that file on disk, beside the notebook.
    needed = sorted({path for code in codes.values() for path in SNIPPET_PATH.findall(code) if (project / path).is_file()})
    if needed:
        lines = ["# Later cells run these snippet files with runpy: write them next to this notebook.", "from pathlib import Path", ""]
        for path in needed:
            code = (project / path).read_text(encoding="utf-8")
            lines += [f'Path("{path}").parent.mkdir(parents=True, exist_ok=True)', f'Path("{path}").write_text({code!r})']
        cells.append(nbformat.v4.new_code_cell("\n".join(lines), metadata={"setup": True}))
    for path, code in codes.items():
        cells.append(nbformat.v4.new_markdown_cell(f"`{path}`"))
        cells.append(nbformat.v4.new_code_cell(code.rstrip("\n"), metadata={"snippet": path}))
    for number, cell in enumerate(cells):
        cell.id = f"cell-{number}"  # not random: the same files make the same notebook
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook


def notebook_name(page: Path) -> str:
    return f"{NOTEBOOKS}/{page.stem}.ipynb"


def on_files(files, config):
    from mkdocs.structure.files import File

    project = Path(config.config_file_path).parent
    for page in question_pages(Path(config.docs_dir)):
        content = nbformat.writes(notebook_for(page, project))
        files.append(File.generated(config, notebook_name(page), content=content))
    return files


def on_page_markdown(markdown, page, config, files):
    if not is_question_page(page.file.src_path) or "\n## The evidence\n" not in markdown:
        return markdown
    name = notebook_name(Path(page.file.src_path))
    offer = (
        f"\n## The evidence\n\n[Run this page's snippets as a notebook](../{name})"
        f'{{ .md-button download="{Path(name).name}" }}'
        " (generated from the same files; run it in an empty folder)\n"
    )
    return markdown.replace("\n## The evidence\n", offer, 1)
