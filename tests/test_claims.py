"""The verdict comes from the runs: the rules in-process, and a planted change of torch behaviour end to end."""

import shutil

import pytest
from project_copy import build_in_new_interpreter, make_project, plant
from snippet_outputs import ROOT

from compression_answers import claims, page_rules, pages, predictions


def checked(*lines: str) -> list[claims.Checked]:
    return claims.checked_lines("\n".join(lines), "snippets/x/y.py")


@pytest.mark.parametrize(
    "lines, expected",
    [
        (["claim: a: True", "claim: b: True"], claims.HOLDS),
        (["claim: a: True", "caveat: c: False"], claims.HOLDS),
        (["claim: a: True", "caveat: c: True"], claims.CAVEAT),
        (["claim: a: False", "caveat: c: True"], claims.WRONG),
        (["caveat: c: True"], claims.CAVEAT),
    ],
)
def test_the_verdict_follows_from_the_checked_lines(lines, expected):
    assert claims.verdict(checked(*lines)).name == expected


@pytest.mark.parametrize(
    "line",
    [
        "claim:\u00a0the model is smaller: False",  # a no-break space
        " claim: the model is smaller: False",
        "Claim: the model is smaller: False",
        "CAVEAT: it depends: True",
        "check : it holds: True",
        "claim: the model is smaller: maybe",
    ],
)
def test_a_line_that_reads_like_a_checked_line_but_is_not_one_is_refused(line):
    with pytest.raises(claims.BadCheckedLine, match="snippets/x/y.py printed"):
        checked("claim: a: True", line)


def test_checks_do_not_decide_the_verdict_but_a_false_one_is_reported():
    lines = checked("claim: a: True", "check: the file keeps its size: False", "check: b: True")
    assert claims.verdict(lines).name == claims.HOLDS
    assert [c.line for c in claims.failed_checks(lines)] == [
        "check: the file keeps its size: False"
    ]
    with pytest.raises(ValueError, match="nothing decides"):
        claims.verdict(checked("check: b: True"))


def test_the_deciding_lines_are_the_ones_named():
    decided = claims.verdict(checked("claim: a: True", "claim: b: False", "caveat: c: True"))
    assert decided.explain() == "snippets/x/y.py printed 'claim: b: False'"


def test_prose_lines_are_not_checked_lines():
    assert checked("claims: many", "the claim: x: True", "") == []


@pytest.mark.parametrize("line", ["claim: a: yes", "caveat: b", "claim: c: true", "claim:True"])
def test_a_malformed_checked_line_is_refused(line):
    with pytest.raises(claims.BadCheckedLine, match="ends in ': True' or ': False'"):
        checked(line)


def test_no_checked_line_decides_nothing():
    with pytest.raises(ValueError, match="nothing decides"):
        claims.verdict([])


PAGE = """# T

<quiz>
Does it hold?
- [ ] It holds
- [ ] It holds, with a caveat
- [ ] It is wrong
</quiz>

## Verdict

!!! verdict "holds, with a caveat"
    Prose.
"""


def test_the_rendered_verdict_and_the_marked_choice_are_the_decided_ones():
    decided = claims.verdict(checked("claim: a: True", "caveat: c: True"))
    rendered = predictions.render(
        pages.render_verdict(PAGE, decided, checked("claim: a: True", "caveat: c: True")),
        decided,
        [],
    )
    assert '!!! warning verdict "The usual answer holds, with a caveat"\n    Decided by' in rendered
    assert "    - `caveat`: c: **True** (`snippets/x/y.py`)" in rendered
    assert "    Prose." in rendered
    with_answer = pages.render_verdict(PAGE, decided, [], [("20", "snippets/x/y.py")] * 2)
    assert with_answer.count("    The run's answer: **20** (`snippets/x/y.py`).") == 1
    assert 'value="1" data-right> <label for="prediction-1-1">It holds, with a caveat' in rendered
    assert rendered.count("data-right") == 1
    assert pages.verdict_problem(PAGE, decided) is None


def test_prose_written_for_another_verdict_is_a_problem_at_its_line():
    decided = claims.verdict(checked("claim: a: False"))
    problem = pages.verdict_problem(PAGE, decided)
    assert (
        "the runs decide the verdict 'wrong', but the prose under it was written for 'holds, with a caveat'"
        in str(problem)
    )
    assert (
        page_rules.line_of(PAGE, problem.offset)
        == PAGE.splitlines().index('!!! verdict "holds, with a caveat"') + 1
    )


@pytest.mark.parametrize(
    "page, message",
    [
        (PAGE.replace('!!! verdict "holds, with a caveat"', "!!! success"), "needs its verdict"),
        (PAGE.replace('"holds, with a caveat"', '"mostly"'), "'mostly' is none of"),
    ],
)
def test_a_verdict_in_another_form_is_a_problem(page, message):
    with pytest.raises(pages.PageProblem, match=message):
        pages.verdict_problem(page, claims.verdict(checked("claim: a: True")))


def test_a_hand_marked_or_missing_choice_is_a_problem():
    decided = claims.verdict(checked("claim: a: True"))
    with pytest.raises(pages.PageProblem, match="marked by the build"):
        predictions.render(PAGE.replace("- [ ] It is wrong", "- [x] It is wrong"), decided, [])
    with pytest.raises(pages.PageProblem, match="offers no choice 'It holds'"):
        predictions.render(PAGE.replace("- [ ] It holds\n", ""), decided, [])


def test_the_question_table_lists_each_page_with_its_verdict():
    rows = [pages.QuestionRow("a/b.md", "Title", "Short.", "holds")]
    table = pages.insert_question_table("x\n\n<!-- the question table -->\n", rows)
    questions, answers = table.split(pages.ANSWERS_TITLE)
    assert (
        "| [Title](a/b.md) | A |" in questions
        and "holds" not in questions
        and "Short." not in questions
    )
    assert "    | [Title](a/b.md) | Short. | holds |" in answers, (
        "the answers are not in the collapsed block"
    )


# A torch release that made pruning a None bias raise ValueError: the planted change of behaviour.
SITECUSTOMIZE = """
import torch.nn.utils.prune as prune

_apply = prune.BasePruningMethod.apply.__func__


def apply(cls, module, name, *args, **kwargs):
    if getattr(module, name, "absent") is None:
        raise ValueError(f"{type(module).__name__}.{name} is None: there is nothing to prune")
    return _apply(cls, module, name, *args, **kwargs)


prune.BasePruningMethod.apply = classmethod(apply)
"""


def test_a_torch_that_flips_a_claim_fails_the_build_naming_the_claim(tmp_path):
    project = make_project(tmp_path / "project", record=False)
    page = "docs/pruning/prune-missing-bias.md"
    plant(project, page, (ROOT / page).read_text(encoding="utf-8"))
    shutil.copytree(ROOT / "snippets/prune-missing-bias", project / "snippets/prune-missing-bias")
    # No control build with the unchanged torch: the message below names a verdict only a flipped
    # claim decides, and test_site.py's strict build is this very page under the unchanged torch.
    plant(tmp_path / "torch-changed", "sitecustomize.py", SITECUSTOMIZE)
    # sitecustomize runs when an interpreter starts: this build needs one of its own.
    done = build_in_new_interpreter(project, PYTHONPATH=str(tmp_path / "torch-changed"))
    log = done.stdout + done.stderr
    assert done.returncode != 0, log
    assert (
        "the runs decide the verdict 'holds', but the prose under it was written for 'wrong'" in log
    ), log
    assert (
        "snippets/prune-missing-bias/question.py printed 'claim: pruning a bias that is None raises ValueError: True'"
        in log
    ), log
