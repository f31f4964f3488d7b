"""A page's render, kept across `mkdocs serve`'s rebuilds and handed back while nothing it was
rendered from has changed: a prose edit renders the edited page, not every page of the site.

A render is MkDocs' `Page.render`: the page's HTML, table of contents, title and anchors. What it
depends on, all of which a kept render is checked against before it is handed back:
- the page's markdown after every plugin's change (it holds what the build decided from the runs:
  verdicts, predictions, the home page's table), its front matter, and its own path and URL;
- the site: its markdown configuration and every file's path and URL (a link resolves against
  them, or warns);
- every file the render opened, by size and modification time (a snippet's code, a text included
  with `--8<--`), seen by an audit hook on the rendering thread;
- every snippet output the render was given.

A render that logged a warning is never kept: its page is rendered, and warns, again.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import hashlib
import json
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterable

# (path, returncode, width) of a snippet output, as the fence asks for it
OutputKey = tuple[str, int, "int | None"]
# A file's size and modification time, or None where it did not exist
FileState = tuple[int, int] | None


def file_state(path: str) -> FileState:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return (found.st_size, found.st_mtime_ns)


def site_key(markdown_config: object, files: Iterable[tuple[str, str]]) -> str:
    """What every page's render shares: the markdown configuration (its repr) and each file's
    path and URL."""
    digest = hashlib.sha256(repr(markdown_config).encode())
    for src_uri, url in sorted(files):
        digest.update(f"\0{src_uri}\0{url}".encode())
    return digest.hexdigest()


def page_key(markdown: str, meta: dict, src_uri: str, url: str, site: str) -> str:
    """A page's render key, but for the files it opens and the outputs it is given: `meta` is
    its front matter (a title there is the page's title, and its markdown holds no front matter)."""
    front = json.dumps(meta, sort_keys=True, default=repr)
    return hashlib.sha256("\0".join((site, src_uri, url, front, markdown)).encode()).hexdigest()


@dataclasses.dataclass(frozen=True)
class Rendered:
    """What a page's render set, and what it was rendered from."""

    key: str
    content: str
    toc: object  # mkdocs.structure.toc.TableOfContents
    title: str | None
    present_anchor_ids: frozenset[str] | None
    links_to_anchors: dict[str, dict[str, str]] | None  # by the linked file's src_uri
    opened: dict[str, FileState]
    outputs: dict[OutputKey, str]


class Recording:
    """One page's render as it happens: the files its thread opens and the warnings logged."""

    def __init__(self, src_uri: str, key: str, outputs_before: int) -> None:
        self.src_uri = src_uri
        self.key = key
        self.outputs_before = outputs_before  # how many outputs the build had given until now
        self.thread = threading.get_ident()
        self.opened: set[str] = set()
        self.warnings = 0
        self._handler = _WarningCounter(self)

    def start(self) -> Recording:
        """Start recording (a render spans two MkDocs events: the plugin starts and stops it)."""
        _install_audit_hook()
        _recordings.append(self)
        for logger in _COUNTED_LOGGERS:
            logging.getLogger(logger).addHandler(self._handler)
        return self

    def stop(self) -> None:
        for logger in _COUNTED_LOGGERS:
            logging.getLogger(logger).removeHandler(self._handler)
        if self in _recordings:
            _recordings.remove(self)

    def __enter__(self) -> Recording:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


class _WarningCounter(logging.Handler):
    def __init__(self, recording: Recording) -> None:
        super().__init__(logging.WARNING)
        self.recording = recording
        self.seen: set[int] = set()

    def emit(self, record: logging.LogRecord) -> None:
        if id(record) not in self.seen:  # a record reaches each logger it propagates to
            self.seen.add(id(record))
            self.recording.warnings += 1


# Where a warning that fails a strict build is logged (MkDocs counts the first), and the root.
_COUNTED_LOGGERS = ("mkdocs", "")
_recordings: list[Recording] = []


def _audit(event: str, args: tuple) -> None:
    if event != "open" or not _recordings:
        return
    recording = _recordings[-1]
    path = args[0]
    if threading.get_ident() == recording.thread and isinstance(path, (str, bytes, os.PathLike)):
        recording.opened.add(os.path.abspath(os.fsdecode(path)))


@functools.cache  # an audit hook cannot be removed: added once, it is idle while no page renders
def _install_audit_hook() -> None:
    sys.addaudithook(_audit)


class RenderedPages:
    """The renders kept from the previous rebuilds, by page (its src_uri)."""

    def __init__(self) -> None:
        self.kept: dict[str, Rendered] = {}

    def clear(self) -> None:
        self.kept.clear()

    def reusable(
        self, src_uri: str, key: str, output: Callable[[OutputKey], str | None]
    ) -> Rendered | None:
        """The kept render of the page, if nothing it was rendered from has changed since:
        `output` gives a snippet's output now (None where it fails)."""
        kept = self.kept.get(src_uri)
        if kept is None or kept.key != key:
            return None
        if any(file_state(path) != state for path, state in kept.opened.items()):
            return None
        if any(output(asked) != given for asked, given in kept.outputs.items()):
            return None
        return kept

    def keep(self, recording: Recording, page, outputs: dict[OutputKey, str]) -> bool:
        """Keep the render of `page` (a MkDocs Page, just rendered) unless it warned."""
        self.kept.pop(recording.src_uri, None)
        if recording.warnings:
            return False
        links = page.links_to_anchors
        self.kept[recording.src_uri] = Rendered(
            key=recording.key,
            content=page.content,
            toc=copy.deepcopy(page.toc),
            title=page.title,
            present_anchor_ids=(
                None if page.present_anchor_ids is None else frozenset(page.present_anchor_ids)
            ),
            links_to_anchors=(
                None
                if links is None
                else {file.src_uri: dict(anchors) for file, anchors in links.items()}
            ),
            opened={path: file_state(path) for path in sorted(recording.opened)},
            outputs=dict(outputs),
        )
        return True


def restore(page, kept: Rendered, files) -> None:
    """Set on `page` (a MkDocs Page) what its render set, from the kept render."""
    page.content = kept.content
    page.toc = copy.deepcopy(kept.toc)
    page.title = kept.title
    page.present_anchor_ids = (
        None if kept.present_anchor_ids is None else set(kept.present_anchor_ids)
    )
    if kept.links_to_anchors is not None:
        page.links_to_anchors = {
            files.get_file_from_path(src_uri): dict(anchors)
            for src_uri, anchors in kept.links_to_anchors.items()
        }
