"""A figure the prose states is printed by a run or cited: strings in, problems out."""

import pytest

from compression_answers.prose_figures import unsourced_figures

OUTPUT = "fp32 accuracy 93.89%\ncheck: within 1 point: True\n"


def figures(page: str, outputs: str = OUTPUT) -> list[tuple[int, str]]:
    return [(f.line, f.figure) for f in unsourced_figures(page, outputs)]


def test_a_figure_the_run_prints_passes_and_one_it_does_not_is_named_at_its_line():
    page = (
        "---\nshort_answer: 1.5%\n---\n\n# T\n\nThe model keeps 93.89%.\n\nIt loses\n0.42 points.\n"
    )
    assert figures(page) == [(10, "0.42")]


def test_a_paragraph_that_cites_its_source_passes():
    assert figures("LSQ reaches 67.6% ([arXiv](https://arxiv.org/abs/1902.08153)).\n") == []


@pytest.mark.parametrize(
    "page",
    [
        "# Is 92% to 89% normal?\n",
        "> You observe 92.3% before and 89.1% after.\n",
        '??? question "The usual answer (click)"\n    Pruning 5.5% is safe.\n\nNext.\n',
        "```python\nprint(0.123)\n```\n",
        "<quiz answer>\nHow much?\n- [ ] About 10.5% smaller\n</quiz>\n",
        '!!! verdict "holds"\n    It stays at 93.1%.\n',
        'The question\'s "2%" is read as points.\n',
    ],
    ids=[
        "heading",
        "quoted question",
        "usual answer",
        "code",
        "prediction",
        "verdict",
        "in quotes",
    ],
)
def test_what_is_not_the_pages_own_statement_is_left_out(page):
    assert figures(page) == []


def test_the_prose_after_a_left_out_block_is_checked_again():
    page = '??? question "The usual answer"\n    5.5% is safe.\n\nHere 7.5% is not printed.\n'
    assert figures(page) == [(4, "7.5%")]
