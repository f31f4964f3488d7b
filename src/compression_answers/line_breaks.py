"""Where a long name in a heading or a table cell may break: between its words, never inside one.

A name in code (`torch.ao.quantization`, `snippets/pruning-count/question.py`,
`Int8DynamicActivationInt8WeightConfig`) has no space to break at. In a table, the browser sizes
each column so that its longest unbreakable piece fits, so one long name makes the table wider
than a phone; in a heading, a name wider than the line breaks at any letter. So inside the
`<code>` of a heading or a table cell, a `<wbr>` (a place to break that shows nothing, and that
copying or searching does not see) goes between the words of a name: after a dot, a slash or an
underscore that a letter follows, and where a CamelCase word starts. Numbers (`93.89`) keep their
digits together. Where a line has room, nothing breaks (docs/stylesheets/extra.css keeps a
heading's name whole on the next line first). Strings in, strings out.
"""

from __future__ import annotations

import re

WBR = "<wbr>"
# A heading or a table cell, whole (neither nests in another).
BREAKABLE = re.compile(r"(<(h[1-6]|td|th)\b[^>]*>)(.*?)(</\2>)", re.DOTALL)
CODE = re.compile(r"(<code\b[^>]*>)(.*?)(</code>)", re.DOTALL)
# A tag or a character reference inside the code: kept whole, never split.
MARKUP = re.compile(r"(<[^>]*>|&#?\w+;)")
BETWEEN_WORDS = re.compile(
    r"(?<=\w[./_])(?=[^\W\d_])"  # after a dot, a slash or an underscore, before a letter
    r"|(?<=[a-z\d])(?=[A-Z])"  # a CamelCase word starts: Int8|Dynamic, Min|Max
    r"|(?<=[A-Z])(?=[A-Z][a-z])"  # after an acronym: QAT|Config
)


def _text(text: str) -> str:
    return "".join(
        piece if MARKUP.fullmatch(piece) else BETWEEN_WORDS.sub(WBR, piece)
        for piece in MARKUP.split(text)
    )


def _code(code: re.Match) -> str:
    return code[1] + _text(code[2]) + code[3]


def names_breakable(html: str) -> str:
    """The page's HTML with a `<wbr>` between the words of each name in the code of its headings
    and table cells; everything else as it was."""
    return BREAKABLE.sub(lambda m: m[1] + CODE.sub(_code, m[3]) + m[4], html)
