"""A page's executed blocks, found by the parser that renders them: one parse for every reader.

The build starts a page's snippets before it renders, decides its verdict from their outputs,
notes other torch versions under them and writes them into notebooks; the fence renders them.
All of these read this parse: Python-Markdown with the site's own `markdown_extensions`, read
from `mkdocs.yml` (superfences, snippets, admonitions, tabs, HTML blocks), with the executed
fence's formatter replaced by one that records the block instead of running it. A block the
fence renders is therefore a block the build started, checked and decided from: the same parser,
the same configuration, with nothing reconciled afterwards.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import re
from pathlib import Path
from typing import Any

import markdown
import yaml
from pymdownx.superfences import SuperFencesException

SITE_CONFIG = "mkdocs.yml"
FENCE_FORMATTER = "compression_answers.fence.formatter"
# Not part of the parse: it renders a whole page under Zensical (and calls this module).
LEFT_OUT = {"compression_answers.zensical_pages"}
INCLUDE_LINE = re.compile(r"""^[ \t]*--8<-- ["'](?P<path>[^"'\n]+)["'][ \t]*$""", re.MULTILINE)


class Block:
    """One executed block: the snippet it runs, where its include line is, and its options."""

    def __init__(self, path: str, line: int, returncode: int, width: int | None, html: bool):
        self.path = path
        self.line = line  # of the include line in the parsed text (1 if written otherwise)
        self.returncode = returncode
        self.width = width
        self.html = html  # its output is markup (a figure), injected rather than shown as text

    def __repr__(self) -> str:
        return f"Block({self.path!r}, line {self.line})"


class _Name:
    """`!!python/name:module.attribute` in mkdocs.yml, kept by name until it is needed."""

    def __init__(self, dotted: str) -> None:
        self.dotted = dotted

    def resolve(self) -> Any:
        module, _, attribute = self.dotted.rpartition(".")
        return getattr(importlib.import_module(module), attribute)


class _SiteLoader(yaml.SafeLoader):
    """mkdocs.yml as MkDocs reads it, for its markdown extensions: Python names are kept, and
    MkDocs' own tags (`!ENV`, `!relative`) read as plain values."""


_SiteLoader.add_multi_constructor(
    "tag:yaml.org,2002:python/name:", lambda loader, suffix, node: _Name(suffix)
)
_SiteLoader.add_multi_constructor(
    "!",
    lambda loader, suffix, node: (
        loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode) else None
    ),
)


@functools.lru_cache(maxsize=8)
def _extensions(config_file: Path, modified: float) -> tuple[list[str], dict[str, dict]]:
    config = yaml.load(config_file.read_text(encoding="utf-8"), Loader=_SiteLoader)  # noqa: S506 - a loader of our own, safe plus names
    names: list[str] = []
    configs: dict[str, dict] = {}
    for entry in (config or {}).get("markdown_extensions", []) or []:
        name, options = next(iter(entry.items())) if isinstance(entry, dict) else (entry, None)
        if name not in LEFT_OUT:
            names.append(name)
            configs[name] = options or {}
    return names, configs


def _collecting(
    names: list[str], configs: dict[str, dict], project: Path, found: list[dict]
) -> markdown.Markdown:
    """The site's Markdown, its executed fence recording each block into `found`."""

    def formatter(src: str, language: str, css_class: str, options: dict, md, **kwargs) -> str:
        found.append(
            {
                "path": options.get("extra", {}).get("title", ""),
                "returncode": options.get("returncode", 0),
                "width": options.get("width") or None,
                "html": bool(options.get("html")),
            }
        )
        return ""

    def resolved(value: Any) -> Any:
        if isinstance(value, _Name):
            return formatter if value.dotted == FENCE_FORMATTER else value.resolve()
        if isinstance(value, dict):
            return {key: resolved(item) for key, item in value.items()}
        if isinstance(value, list):
            return [resolved(item) for item in value]
        return value

    extension_configs = {name: resolved(options) for name, options in configs.items()}
    if "pymdownx.snippets" in extension_configs:  # included from the project, wherever we run
        snippets = dict(extension_configs["pymdownx.snippets"])
        snippets["base_path"] = [str(project / p) for p in snippets.get("base_path", ["."])]
        snippets["check_paths"] = False  # a missing file is a page problem, reported elsewhere
        extension_configs["pymdownx.snippets"] = snippets
    return markdown.Markdown(extensions=names, extension_configs=extension_configs)


@functools.lru_cache(maxsize=512)
def _parsed(text: str, project: Path, config_file: Path, modified: float) -> tuple[Block, ...]:
    names, configs = _extensions(config_file, modified)
    found: list[dict] = []
    # A block the fence refuses ends the parse: the render stops there too, naming it.
    with contextlib.suppress(SuperFencesException):
        _collecting(names, configs, project, found).convert(text)
    lines = [(m["path"], text.count("\n", 0, m.start()) + 1) for m in INCLUDE_LINE.finditer(text)]
    blocks = []
    for block in found:
        # The k-th block of a snippet is written on the k-th include line of its path.
        line = next((n for p, n in lines if p == block["path"]), 1)
        if (block["path"], line) in lines:
            lines.remove((block["path"], line))
        blocks.append(Block(line=line, **block))
    return tuple(blocks)


def executed(text: str, project: Path | None = None) -> list[Block]:
    """The executed blocks of a page's markdown `text`, in order, as the site renders them."""
    project = (project or Path.cwd()).resolve()
    config_file = project / SITE_CONFIG
    modified = config_file.stat().st_mtime if config_file.is_file() else 0.0
    if not modified:
        return []
    return list(_parsed(text, project, config_file, modified))
