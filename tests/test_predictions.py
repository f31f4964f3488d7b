"""The predictions' keys come from the runs: strings in, the form or the problem out."""

import pytest

from compression_answers import claims, predictions
from compression_answers.pages import PageProblem

KEYED = """# T

<quiz answer>
What does the call raise?
- [ ] `ValueError`
- [ ] `TypeError`
- [ ] Nothing: it succeeds

The evidence shows why.
</quiz>
"""
HOLDS = claims.verdict(claims.checked_lines("claim: a: True", "snippets/x/y.py"))


def printed(*lines: str) -> list[predictions.Answer]:
    return predictions.answers("\n".join(["20", *lines, "claim: a: True"]), "snippets/x/y.py")


def test_the_option_the_run_printed_is_the_right_one():
    form = predictions.render(KEYED, HOLDS, printed("answer: TypeError"))
    assert form.count("data-right") == 1
    assert 'value="1" data-right> <label for="prediction-1-1">`TypeError`</label>' in form
    assert "The run printed `answer: TypeError` (`snippets/x/y.py`)." in form
    assert "The evidence shows why." in form and "- [ ]" not in form


def test_a_run_that_prints_another_answer_moves_the_key():
    form = predictions.render(KEYED, HOLDS, printed("answer: Nothing: it succeeds"))
    assert 'value="2" data-right>' in form


@pytest.mark.parametrize(
    "lines, message",
    [
        (["answer: KeyError"], "printed 'answer: KeyError', which is none of the options"),
        ([], "they printed none"),
        (["answer: TypeError", "answer: ValueError"], "they printed 'answer: TypeError'"),
    ],
    ids=["unlisted", "none", "two"],
)
def test_a_run_that_keys_no_single_option_is_a_problem(lines, message):
    with pytest.raises(PageProblem, match=message) as problem:
        predictions.render(KEYED, HOLDS, printed(*lines))
    assert problem.value.offset == KEYED.index("<quiz answer>")


def test_an_option_marked_by_hand_is_refused():
    with pytest.raises(PageProblem, match="marked by the build"):
        predictions.render(
            KEYED.replace("- [ ] `TypeError`", "- [x] `TypeError`"),
            HOLDS,
            printed("answer: TypeError"),
        )


def test_the_verdict_keys_the_plain_prediction_and_the_page_can_drop_them():
    page = "<quiz>\nDoes it hold?\n- [ ] It holds\n- [ ] It is wrong\n</quiz>\n" + KEYED
    form = predictions.render(page, HOLDS, printed("answer: TypeError"))
    assert 'id="prediction-1-0" name="prediction-1" value="0" data-right>' in form
    assert "The runs decide: **The usual answer holds**" in form
    assert 'id="prediction-2-1" name="prediction-2" value="1" data-right>' in form
    assert "<quiz" not in predictions.remove(page)


def test_option_text_is_compared_without_its_markdown():
    assert predictions.plain(" `ValueError` ") == "ValueError"
    assert predictions.plain("*about* 20") == "about 20"


def test_two_options_that_read_the_same_are_refused():
    twice = KEYED.replace("- [ ] `TypeError`", "- [ ] `TypeError`\n- [ ] TypeError")
    with pytest.raises(PageProblem, match="offers 'TypeError' twice"):
        predictions.render(twice, HOLDS, printed("answer: TypeError"))


@pytest.mark.parametrize(
    "line", ["Answer: TypeError", " answer: TypeError", "answer:\u00a0TypeError"]
)
def test_an_answer_line_spelled_otherwise_is_refused(line):
    with pytest.raises(PageProblem, match="an answer line is"):
        printed(line)
