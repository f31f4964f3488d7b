"""Checked lines, and the verdict on a page's usual answer that they decide.

A snippet states what a run shows as a checked line, printed with plain Python so that the file
stays copy-paste runnable:

    claim: <part of the usual answer, as a testable statement>: True
    caveat: <a finding that qualifies the usual answer>: True
    check: <a finding the page's prose states>: True

The verdict follows from the claims and caveats of all of a page's snippets, never from typing:
a claim that is False makes the usual answer wrong; otherwise a caveat that is True makes it hold
with a caveat; otherwise it holds. A check does not touch the verdict: the prose relies on it,
so one that is False fails the build.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

CHECKED_LINE = re.compile(
    r"^(?P<kind>claim|caveat|check): (?P<statement>.+): (?P<value>True|False)$"
)
# A line that reads like a checked line once its spelling is folded (case, Unicode's look-alike
# characters, spaces) but is not one to the letter is a mistake, not prose: a no-break space,
# a leading space or `Claim:` would otherwise hide a False claim from the verdict.
LOOKS_CHECKED = re.compile(r"^\s*(claim|caveat|check)\s*:", re.IGNORECASE)

HOLDS, CAVEAT, WRONG = "holds", "holds, with a caveat", "wrong"
VERDICTS = (HOLDS, CAVEAT, WRONG)
ADMONITION = {HOLDS: "success", CAVEAT: "warning", WRONG: "failure"}
TITLE = {
    HOLDS: "The usual answer holds",
    CAVEAT: "The usual answer holds, with a caveat",
    WRONG: "The usual answer is wrong",
}
CHOICE = {HOLDS: "It holds", CAVEAT: "It holds, with a caveat", WRONG: "It is wrong"}


class BadCheckedLine(ValueError):
    """A line starts with `claim:`, `caveat:` or `check:` but does not end in `: True` or `: False`."""


@dataclass(frozen=True)
class Checked:
    """One checked line of one snippet's output."""

    kind: str  # "claim", "caveat" or "check"
    statement: str
    value: bool
    snippet: str  # the file that printed it

    @property
    def line(self) -> str:
        return f"{self.kind}: {self.statement}: {self.value}"


def folded(line: str) -> str:
    """A line as it reads: Unicode's compatibility forms folded (a no-break space is a space)."""
    return unicodedata.normalize("NFKC", line)


def checked_lines(output: str, snippet: str) -> list[Checked]:
    """The checked lines in a snippet's output, in order; raises BadCheckedLine for a malformed
    one, or one that reads like a checked line without being one to the letter."""
    found = []
    for line in output.splitlines():
        match = CHECKED_LINE.match(line)
        if match and folded(line) == line:
            found.append(
                Checked(match["kind"], match["statement"], match["value"] == "True", snippet)
            )
        elif LOOKS_CHECKED.match(folded(line)):
            raise BadCheckedLine(
                f"{snippet} printed {line!r}: a checked line is `claim: `, `caveat: ` or "
                "`check: ` at the start of the line, in lower case with plain spaces, and ends "
                "in ': True' or ': False'"
            )
    return found


@dataclass(frozen=True)
class Verdict:
    """What the checked lines decide, and which of them decided it."""

    name: str  # one of VERDICTS
    deciding: tuple[Checked, ...]

    def explain(self) -> str:
        return "; ".join(f"{c.snippet} printed {c.line!r}" for c in self.deciding)


def deciding(checked: list[Checked]) -> list[Checked]:
    """The claims and caveats: the lines the verdict is decided from."""
    return [c for c in checked if c.kind in ("claim", "caveat")]


def failed_checks(checked: list[Checked]) -> list[Checked]:
    """The checks that are False: the prose states something the run no longer shows."""
    return [c for c in checked if c.kind == "check" and not c.value]


def verdict(checked: list[Checked]) -> Verdict:
    """Wrong if any claim is False; else holds with a caveat if any caveat is True; else holds."""
    checked = deciding(checked)
    if not checked:
        raise ValueError("no claim or caveat: nothing decides the verdict")
    false_claims = tuple(c for c in checked if c.kind == "claim" and not c.value)
    if false_claims:
        return Verdict(WRONG, false_claims)
    caveats = tuple(c for c in checked if c.kind == "caveat" and c.value)
    if caveats:
        return Verdict(CAVEAT, caveats)
    return Verdict(HOLDS, tuple(c for c in checked if c.kind == "claim"))
