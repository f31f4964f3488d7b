"""Material's search entries of a page, kept across `mkdocs serve`'s rebuilds: a page whose
HTML, table of contents, URL, title and front matter are what they were is not parsed again.

Material's search plugin parses every page's HTML into sections on every build, and under serve
that was the largest part of a prose edit's rebuild once the pages' renders were kept
(`rendered_pages.py`). Its index entries are a function of exactly those inputs, so a page's
entries are handed back while they are unchanged, in the page's place in the index: the search
index a rebuild writes is the one a clean build writes.

MkDocs' `--dirty`, which Material's plugin keeps its index across, is not used (CONTRIBUTING says
why). Where the search plugin is absent, or its index does not look as this module expects, the
index is built as before.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Iterable


def toc_key(toc: Iterable) -> list:
    """What of a table of contents an entry reads (an anchor's URL, found by its id), and more."""
    return [[item.id, item.url, item.title, item.level, toc_key(item.children)] for item in toc]


def entry_key(content: str, toc: Iterable, url: str, title: str, meta: dict) -> str:
    """Everything a page's search entries are made from."""
    shape = json.dumps([toc_key(toc), url, title, meta], sort_keys=True, default=repr)
    return hashlib.sha256(f"{shape}\0{content}".encode()).hexdigest()


def search_index(plugins: Iterable) -> object | None:
    """The index of the build's Material search plugin, if it has the index this module expects."""
    for plugin in plugins:
        index = getattr(plugin, "search_index", None)
        if callable(getattr(index, "add_entry_from_context", None)) and isinstance(
            getattr(index, "entries", None), list
        ):
            return index
    return None


class KeptSearch:
    """Search entries by page (src_uri), with the key they were made from."""

    def __init__(self) -> None:
        self.kept: dict[str, tuple[str, list[dict]]] = {}
        self.parsed: list[str] = []

    def attach(self, index) -> None:
        """Make `index` take a page's entries from here while they are unchanged (each build
        makes a new index: attach to each)."""
        add: Callable = index.add_entry_from_context
        self.parsed.clear()

        def add_entry_from_context(page) -> None:
            key = entry_key(page.content or "", page.toc, page.url, page.title, page.meta)
            kept = self.kept.get(page.file.src_uri)
            if kept is not None and kept[0] == key:
                index.entries.extend(copy.deepcopy(kept[1]))
                return
            before = len(index.entries)
            add(page)
            self.parsed.append(page.file.src_uri)
            self.kept[page.file.src_uri] = (key, copy.deepcopy(index.entries[before:]))

        index.add_entry_from_context = add_entry_from_context
