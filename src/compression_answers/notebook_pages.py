"""A notebook's page as the site serves it: shared stylesheets and scripts, and a way back.

mkdocs-jupyter renders each notebook with nbconvert's template, which inlines JupyterLab's whole
stylesheet and its scripts into every page (about 600 KB each, the same on every notebook page).
Here each inline `<style>` and `<script>` of the page's article becomes a file of the site, named
by its content, so a reader's browser fetches it once for every notebook. A header on top links
the question page, the notebook file to download, and names the build its outputs come from.
Strings in, strings out: the plugin writes the files.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass

ASSETS = "assets/notebooks"
JAVASCRIPT = ("text/javascript", "application/javascript", "module")
ARTICLE = re.compile(r'<article class="md-content__inner md-typeset">')
# An element's raw text runs to its first end tag: HTML's own rule for style and script.
INLINE = re.compile(
    r"<(?P<tag>style|script)(?P<attributes>[^>]*)>(?P<text>.*?)</(?P=tag)>", re.DOTALL
)


@dataclass(frozen=True)
class Header:
    """What the top of a notebook's page says: its question page and file, and its build."""

    question_title: str  # plain text
    question_url: str  # relative to the notebook's page
    download_url: str  # relative to the notebook's page
    download_name: str
    built: str  # versions and date, as a verdict names them


def shared(page_html: str, assets_url: str) -> tuple[str, dict[str, str]]:
    """The page with each inline style and script of its article replaced by a link to a file
    under `assets_url` (the folder's URL relative to the page), and those files' contents by
    their names under ASSETS. Elements before the article (Material's own) are left alone, and
    so is a script that names a source or is not JavaScript."""
    start = ARTICLE.search(page_html)
    if start is None:
        return page_html, {}
    files: dict[str, str] = {}

    def linked(element: re.Match) -> str:
        tag, attributes, text = element["tag"], element["attributes"], element["text"]
        kind = re.search(r'type="([^"]*)"', attributes)
        if tag == "script" and ("src=" in attributes or (kind and kind[1] not in JAVASCRIPT)):
            return element[0]
        suffix = "css" if tag == "style" else "js"
        name = f"{hashlib.sha256(text.encode()).hexdigest()[:16]}.{suffix}"
        files[name] = text
        if tag == "style":
            return f'<link rel="stylesheet" href="{assets_url}/{name}">'
        return f'<script{attributes} src="{assets_url}/{name}"></script>'

    body = INLINE.sub(linked, page_html[start.end() :])
    return page_html[: start.end()] + body, files


# nbconvert's code and output boxes scroll sideways when a line is long: a keyboard reader must
# be able to reach them (WCAG 2.1.1, axe-core's scrollable-region-focusable).
SCROLLING_BOX = re.compile(r'<(div class="highlight-ipynb[^"]*"|pre)(?![^>]*tabindex)')


def focusable(page_html: str) -> str:
    """The page with each code cell's and each output's box reachable by the keyboard."""
    start = ARTICLE.search(page_html)
    if start is None:
        return page_html
    body = SCROLLING_BOX.sub(r'<\1 tabindex="0"', page_html[start.end() :])
    return page_html[: start.end()] + body


def header_html(header: Header) -> str:
    """The box on top of a notebook's page."""
    e = html.escape
    return (
        '<div class="admonition info notebook-header">'
        f'<p class="admonition-title">The notebook of a question: {e(header.question_title)}</p>'
        f'<p><a href="{e(header.question_url)}">Back to the question, its evidence and its '
        "verdict</a></p>"
        f'<p><a class="md-button" href="{e(header.download_url)}" download>'
        f"Download {e(header.download_name)}</a></p>"
        f"<p>The outputs in the cells come from this site's build: {e(header.built)}. Run the "
        "cells top to bottom in an empty folder to print them again.</p>"
        "</div>"
    )


def with_header(page_html: str, header: Header) -> str:
    """The page with the header at the top of its article."""
    start = ARTICLE.search(page_html)
    if start is None:
        return page_html
    return page_html[: start.end()] + header_html(header) + page_html[start.end() :]
