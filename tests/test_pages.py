"""The page rules, in-process: on strings, and over every page of docs/, which is what holds a build
without the MkDocs plugin (Zensical) to them."""

import pytest
from project_copy import SAMPLE_PAGE
from snippet_outputs import DOCS, ROOT

from compression_answers import page_rules, pages

PAGES = sorted(DOCS.rglob("*.md"))


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.relative_to(DOCS).as_posix())
def test_every_page_keeps_the_rules(page):
    source = page.read_text(encoding="utf-8")
    assert page_rules.problems(page.relative_to(DOCS).as_posix(), source, ROOT) == []


QUESTION = SAMPLE_PAGE


def test_a_complete_question_page_has_no_problem(tmp_path):
    (tmp_path / "snippets/sample").mkdir(parents=True)
    (tmp_path / "snippets/sample/count.py").write_text("print(42)\n")
    assert page_rules.problems("checks/sample.md", QUESTION, tmp_path) == []


@pytest.mark.parametrize(
    "old, new, message",
    [
        ('short_answer: "42."\n', "", "needs `short_answer:`"),
        ("## The question\n", "", "needs the question"),
        ('!!! verdict "holds"', '!!! success "Holds"', "needs a verdict"),
        (
            '!!! verdict "holds"',
            '!!! verdict "holds"\n    Prose.\n\n!!! verdict "wrong"',
            "a second verdict block",
        ),
        (
            '--8<-- "snippets/sample/count.py"',
            '--8<-- "snippets/sample/gone.py"',
            "includes snippets/sample/gone.py, which does not exist",
        ),
    ],
)
def test_a_page_that_breaks_a_rule_is_a_problem_at_its_line(tmp_path, old, new, message):
    (tmp_path / "snippets/sample").mkdir(parents=True)
    (tmp_path / "snippets/sample/count.py").write_text("print(42)\n")
    found = page_rules.problems("checks/sample.md", QUESTION.replace(old, new), tmp_path)
    assert any(message in problem.message for problem in found), found


@pytest.mark.parametrize(
    "block, expected",
    [
        (
            '```python exec="on" title="snippets/a/b.py"\n--8<-- "snippets/a/b.py"\n```',
            ("snippets/a/b.py", 0, None),
        ),
        (
            "~~~py exec='1' title='snippets/a/b.py' returncode='3' width='60'\n--8<-- 'snippets/a/b.py'\n~~~",
            ("snippets/a/b.py", 3, 60),
        ),
        (
            '!!! note\n\n    ```python exec="on" title="snippets/a/b.py"\n    --8<-- "snippets/a/b.py"\n    ```',
            ("snippets/a/b.py", 0, None),
        ),
        (
            '```python exec="True" title="snippets/a/b.py"\n--8<-- "snippets/a/b.py"\n```',
            ("snippets/a/b.py", 0, None),
        ),
        ('```python\n--8<-- "snippets/a/b.py"\n```', None),
        # Shown as an example inside another block: the renderer does not execute it.
        (
            '````markdown\n```python exec="on" title="snippets/a/b.py"\n--8<-- "snippets/a/b.py"\n```\n````',
            None,
        ),
        # No title: the fence refuses it by name when it renders; nothing runs before.
        ('```python exec="on"\n--8<-- "snippets/a/b.py"\n```', ("", 0, None)),
    ],
    ids=[
        "usual",
        "tilde, quotes, options",
        "indented in an admonition",
        "capitalised, as the fence reads it",
        "not executed",
        "an example inside another block",
        "no title",
    ],
)
def test_executed_includes_are_found_in_any_form(block, expected):
    found = page_rules.executed_includes("text\n\n" + block + "\n")
    assert [(i.path, i.returncode, i.width) for i in found] == ([expected] if expected else [])


def test_nothing_imports_markdown_execs_internals():
    sources = [
        *ROOT.glob("src/**/*.py"),
        *ROOT.glob("tests/*.py"),
        *ROOT.glob("benchmarks/*.py"),
        *ROOT.glob("snippets/*/*.py"),
        ROOT / "mkdocs.yml",  # where the executed fence's validator and formatter are named
    ]
    users = [
        str(p.relative_to(ROOT))
        for p in sources
        if "markdown_exec._" + "internal" in p.read_text(encoding="utf-8")
    ]
    assert users == []


def test_the_answer_box_sits_under_the_title_collapsed_with_the_decided_verdict():
    from compression_answers.claims import CAVEAT, Verdict

    page = "# How many weights?\n\n## The question\n\nText.\n"
    shown = pages.answer_first(page, "`20`, under a mask.", Verdict(CAVEAT, ()))
    title, blank, box = shown.split("\n")[:3]
    assert title == "# How many weights?" and blank == ""
    assert box.startswith('??? warning "The answer, as this build')  # ??? : closed until clicked
    assert "**The usual answer holds, with a caveat.** `20`, under a mask." in shown
    assert "(#verdict)" in shown
    assert shown.index("## The question") > shown.index("The usual answer holds")
