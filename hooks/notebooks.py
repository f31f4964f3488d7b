"""MkDocs hook: every question page offers its snippets as a Jupyter notebook (see
compression_answers.notebooks), served at `notebooks/<slug>.ipynb` and linked from its evidence."""

from __future__ import annotations

from pathlib import Path

import nbformat
from mkdocs.structure.files import File

from compression_answers.notebooks import notebook_for, notebook_name, question_pages
from compression_answers.page_rules import is_question_page


def on_files(files, config):
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
