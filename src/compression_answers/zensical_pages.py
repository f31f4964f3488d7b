"""The page transform as a Markdown extension, for Zensical, which runs no MkDocs plugin.

`mkdocs.yml` names it under `markdown_extensions`. Under Zensical, each page's Markdown carries
Zensical's rendering context (the page's path among the docs), and this extension hands the
page to `page_transform.render` before any other preprocessor reads it: the same verdicts,
predictions, home table and notes on other torch versions as the MkDocs plugin writes, and the
page's HTML gets the same places to break a long name (line_breaks). Under MkDocs there is no
such context and it changes nothing: the plugin has done the work.

Zensical makes a new Markdown object for every page, so what a page's rendering needs of the
whole site (each page's decision, the other versions' outputs) is kept per project here.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from markdown import Extension, Markdown
from markdown.postprocessors import Postprocessor
from markdown.preprocessors import Preprocessor

from compression_answers import api_index, line_breaks, notebooks, page_transform, runs, versions

log = logging.getLogger(__name__)
CONTEXT = "rendering_context"  # the preprocessor Zensical registers with the page being rendered
# Before pymdownx.snippets (32) includes files and superfences (25) takes the fences out.
PRIORITY = 40
_sites: dict[Path, page_transform.Site] = {}


def site_for(project: Path, docs: Path) -> page_transform.Site:
    """The site's state for this project, made at its first page."""
    if project not in _sites:
        _sites[project] = page_transform.Site(
            project=project,
            decisions=page_transform.Decisions(runs.current(project).included_outputs),
            question_pages=[
                (page.relative_to(docs).as_posix(), page.read_text(encoding="utf-8"))
                for page in notebooks.question_pages(docs)
            ],
            differences=versions.differences(project),
            built=page_transform.built_with(),
            doc_links=api_index.doc_links(project),
        )
    return _sites[project]


class PagePreprocessor(Preprocessor):
    def run(self, lines: list[str]) -> list[str]:
        if CONTEXT not in self.md.preprocessors:
            return lines  # MkDocs: its plugin renders the page
        context: Any = self.md.preprocessors[CONTEXT]  # Zensical's, read by its attributes
        project = Path.cwd().resolve()
        docs = (project / context.config.get("docs_dir", "docs")).resolve()
        src_uri = Path(context.page.path).as_posix()
        source_file = docs / src_uri
        if not source_file.is_file():
            return lines  # a generated page: nothing of the transform applies
        source = source_file.read_text(encoding="utf-8")  # with front matter: true line numbers
        markdown, problems = page_transform.render(
            "\n".join(lines), source, src_uri, site_for(project, docs)
        )
        for problem in problems:
            log.warning(str(problem))
        return markdown.split("\n")


class LineBreaksPostprocessor(Postprocessor):
    """What the plugin does to a page's HTML: a long name in a heading or a table breaks between
    its words (line_breaks)."""

    def run(self, text: str) -> str:
        if CONTEXT not in self.md.preprocessors:
            return text  # MkDocs: its plugin does it
        return line_breaks.names_breakable(text)


class PagesExtension(Extension):
    def extendMarkdown(self, md: Markdown) -> None:
        md.preprocessors.register(PagePreprocessor(md), "compression_answers_pages", PRIORITY)
        # After the raw HTML (the predictions' forms, the fence's blocks) is put back (priority 30).
        md.postprocessors.register(LineBreaksPostprocessor(md), "compression_answers_breaks", 5)


def makeExtension(**kwargs) -> PagesExtension:
    return PagesExtension(**kwargs)
