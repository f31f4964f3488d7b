"""Links from a page's prose to the official documentation of each API it names.

The first time a page's prose names an entry point of the API index in inline code
(`` `prune.l1_unstructured` ``, `` `quantize_dynamic()` ``), the name becomes a link to its
page in torch's or torchao's documentation (api_index.docs_url). Code blocks, headings,
admonition titles, prediction forms, HTML and names already inside a link are left alone.
Strings in, strings out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

FENCE = re.compile(r"^\s*(```|~~~)")
SKIPPED_LINE = re.compile(r"^\s*(#|!!!|\?\?\?|<|\||---)")
# An inline code span not already a link's text: not after `[`, not before `](`.
CODE_SPAN = re.compile(r"(?<!\[)`(?P<text>[^`\n]+)`(?!\]\()")


def linked(markdown: str, links: Mapping[str, str]) -> str:
    """The markdown with the first prose mention of each name in `links` linked to its URL."""
    done: set[str] = set()
    fence: str | None = None
    in_quiz = False
    lines = markdown.split("\n")
    for number, line in enumerate(lines):
        opened = FENCE.match(line)
        if fence is not None:
            if opened and opened[1] == fence:
                fence = None
            continue
        if opened:
            fence = opened[1]
            continue
        if line.startswith("<quiz"):
            in_quiz = True
        if in_quiz:
            in_quiz = not line.startswith("</quiz>")
            continue
        if SKIPPED_LINE.match(line):
            continue

        def link(span: re.Match) -> str:
            name = span["text"].removesuffix("()")
            url = links.get(name)
            if url is None or name in done:
                return span[0]
            done.add(name)
            return f"[{span[0]}]({url})"

        lines[number] = CODE_SPAN.sub(link, line)
    return "\n".join(lines)
