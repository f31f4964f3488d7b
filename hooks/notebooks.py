"""MkDocs hook: every question page offers its snippets as a Jupyter notebook (see
compression_answers.notebooks) that holds the outputs of this build's runs. mkdocs-jupyter renders
it as the page `notebooks/<slug>/`, with the file to download beside it; the question page links
to both at the top of its evidence."""

from __future__ import annotations

from pathlib import Path

import nbformat
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

from compression_answers import runs
from compression_answers.notebooks import (
    NOTEBOOKS,
    notebook_download,
    notebook_for,
    notebook_name,
    question_pages,
)
from compression_answers.page_rules import is_question_page

# Where the build writes the notebooks it generates: mkdocs-jupyter reads a notebook from a file.
GENERATED = Path(".cache") / "notebooks"


@event_priority(100)  # before mkdocs-jupyter's on_files, which makes pages of the notebooks
def on_files(files, config):
    # executed_snippets.py's on_files, which runs first, has started every snippet.
    current = runs.current()
    folder = current.project / GENERATED
    for page in question_pages(Path(config.docs_dir)):
        where = f"docs/{page.relative_to(config.docs_dir).as_posix()}"
        ran = current.included_outputs(page.read_text(encoding="utf-8"), where)
        outputs = {include.path: output for include, output in ran}
        target = folder / notebook_name(page)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(
            nbformat.writes(notebook_for(page, current.project, outputs)), encoding="utf-8"
        )
        files.append(
            File(notebook_name(page), str(folder), config.site_dir, config.use_directory_urls)
        )
    return files


def on_page_content(html, page, config, files):
    # A notebook's page repeats its question page's code and outputs: search finds them there.
    # (Set here: the page's meta is read from its source after on_pre_page.)
    if page.file.src_uri.startswith(f"{NOTEBOOKS}/"):
        page.meta["search"] = {"exclude": True}
    return html


def on_page_markdown(markdown, page, config, files):
    if not is_question_page(page.file.src_path) or "\n## The evidence\n" not in markdown:
        return markdown
    notebook = Path(page.file.src_path)
    offer = (
        f"\n## The evidence\n\n[This page's snippets as a notebook, with their outputs](../{notebook_name(notebook)})"
        f'{{ .md-button }} <a class="md-button" href="../../{notebook_download(notebook)}" download>'
        "Download the notebook</a> (generated from the same files; run it in an empty folder)\n"
    )
    return markdown.replace("\n## The evidence\n", offer, 1)
