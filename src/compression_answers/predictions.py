"""The reader's predictions: multiple-choice blocks whose right option the runs decide, rendered
as a small form (docs/javascripts/prediction.js checks a choice only when the reader asks).

A page writes each prediction as

    <quiz answer>                      <quiz>
    What does the call raise?          Does the usual answer hold?
    - [ ] `ValueError`                 - [ ] It holds
    - [ ] `TypeError`                  - [ ] It holds, with a caveat
                                       - [ ] It is wrong
    The evidence below shows why.
    </quiz>                            </quiz>

`<quiz answer>` is keyed by the one `answer: <option>` line the page's snippets print: the option
whose text (without its markdown) is that line's is right, and a run that prints no listed option
fails the build. `<quiz>` is keyed by the verdict the page's runs decide. An option marked by hand
is refused: the runs mark it. Strings in, strings (or a PageProblem) out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from compression_answers.claims import CHOICE, TITLE, Verdict, folded
from compression_answers.pages import PageProblem

QUIZ = re.compile(r"^<quiz(?P<keyed> answer)?>\n(?P<body>.*?)^</quiz>$", re.MULTILINE | re.DOTALL)
CHOICE_LINE = re.compile(r"^- \[(?P<mark>[ xX])\] (?P<text>.*)$", re.MULTILINE)
ANSWER_LINE = re.compile(r"^answer: (?P<text>.+)$", re.MULTILINE)
MARKUP = re.compile(r"[`*]")


@dataclass(frozen=True)
class Answer:
    """An `answer: <option>` line a snippet printed."""

    text: str
    snippet: str


# An `answer:` line in another spelling would key no prediction without a word: refused.
LOOKS_LIKE_ANSWER = re.compile(r"^\s*answer\s*:", re.IGNORECASE)


def answers(output: str, snippet: str) -> list[Answer]:
    """The `answer: <option>` lines a snippet printed; raises PageProblem for one spelled otherwise."""
    for line in output.splitlines():
        if LOOKS_LIKE_ANSWER.match(folded(line)) and not (
            ANSWER_LINE.fullmatch(line) and folded(line) == line
        ):
            raise PageProblem(
                f"{snippet} printed {line!r}: an answer line is `answer: <option>` at the start "
                "of the line, in lower case with plain spaces"
            )
    return [Answer(m["text"].strip(), snippet) for m in ANSWER_LINE.finditer(output)]


def plain(option: str) -> str:
    """An option's text as a run prints it: without backticks, asterisks and surrounding spaces."""
    return MARKUP.sub("", option).strip()


def _right_option(
    keyed: bool, options: list[str], verdict: Verdict, found: list[Answer]
) -> tuple[int, str]:
    """The right option's index, and what the run showed, in markdown."""
    if keyed:
        found = list({a.text: a for a in found}.values())  # a snippet run by another prints twice
        if len(found) != 1:
            printed = ", ".join(f"'answer: {a.text}' ({a.snippet})" for a in found) or "none"
            raise PageProblem(
                "a <quiz answer> is keyed by the one `answer: <option>` line the page's snippets "
                f"print; they printed {printed}"
            )
        answer = found[0]
        matching = [i for i, option in enumerate(options) if plain(option) == answer.text]
        if not matching:
            raise PageProblem(
                f"{answer.snippet} printed 'answer: {answer.text}', which is none of the options "
                f"({'; '.join(plain(o) for o in options)}): add it, or fix the snippet"
            )
        return matching[0], f"The run printed `answer: {answer.text}` (`{answer.snippet}`)."
    right = CHOICE[verdict.name]
    if right not in options:
        raise PageProblem(f"the prediction offers no choice {right!r}, which the runs decide")
    return options.index(
        right
    ), f"The runs decide: **{TITLE[verdict.name]}**, as the verdict below explains."


def render(markdown: str, verdict: Verdict, found: list[Answer]) -> str:
    """Every prediction of the page as a form, its right option the one the runs decide."""
    pieces, start = [], 0
    for number, quiz in enumerate(QUIZ.finditer(markdown), start=1):
        body = quiz["body"]
        choices = list(CHOICE_LINE.finditer(body))
        if not choices:
            raise PageProblem("a prediction lists its options as `- [ ] …` lines", quiz.start())
        marked = [c for c in choices if c["mark"] != " "]
        if marked:
            raise PageProblem(
                "the prediction's right choice is marked by the build from the runs: write every choice as `- [ ] …`",
                quiz.start("body") + marked[0].start(),
            )
        question = body[: choices[0].start()].strip()
        explanation = body[choices[-1].end() :].strip()
        options = [c["text"] for c in choices]
        seen: dict[str, int] = {}
        for index, option in enumerate(options):
            key = folded(plain(option)).casefold()
            if key in seen:
                raise PageProblem(
                    f"the prediction offers {option!r} twice (options {seen[key] + 1} and "
                    f"{index + 1}): a run could key either",
                    quiz.start("body") + choices[index].start(),
                )
            seen[key] = index
        try:
            right, shown = _right_option(bool(quiz["keyed"]), options, verdict, found)
        except PageProblem as problem:
            raise PageProblem(str(problem), quiz.start()) from None
        pieces += [
            markdown[start : quiz.start()],
            _form(number, question, options, right, shown, explanation),
        ]
        start = quiz.end()
    return "".join(pieces) + markdown[start:]


def _form(
    number: int, question: str, options: list[str], right: int, shown: str, explanation: str
) -> str:
    name = f"prediction-{number}"
    lines = [
        f'<form class="prediction" id="{name}" markdown>',
        "<fieldset markdown>",
        f'<legend markdown="span">{question}</legend>',
    ]
    for index, option in enumerate(options):
        right_mark = " data-right" if index == right else ""
        lines.append(
            f'<div class="prediction-option" markdown="span"><input type="radio" id="{name}-{index}" '
            f'name="{name}" value="{index}"{right_mark}> <label for="{name}-{index}">{option}</label></div>'
        )
    lines += [
        "</fieldset>",
        '<p class="prediction-actions">'
        '<button type="submit" class="md-button">Check my prediction</button> '
        '<button type="reset" class="md-button">Start again</button></p>',
        '<p class="prediction-status" aria-live="polite"></p>',
        '<div class="prediction-feedback" hidden markdown>',
        shown,
        "",
        *([explanation, ""] if explanation else []),
        "</div>",
        "</form>",
    ]
    return "\n".join(lines)


def remove(markdown: str) -> str:
    """The page without its predictions: a page whose runs decide no verdict has no key (reported)."""
    return QUIZ.sub("", markdown)
