"""Outputs under other torch versions: the update command keeps, under tests/recorded/versions/<torch>/,
only what differs from the pinned recording; the tests then compare with it; the site lists each
difference on its versions page and under the output concerned.

Another torch is planted by pinning a release this run does not have in the copy's pyproject.toml:
the installed torch is then "another version" to it."""

import json
import re

from bs4 import BeautifulSoup
from project_copy import (
    PAGE,
    RECORDING,
    SAMPLE_SNIPPET,
    SNIPPET,
    SNIPPET_TESTS,
    build,
    plant,
    run_tests,
)
from snippet_outputs import ROOT, RUNNING, UPDATE_FLAG

from compression_answers import versions

TORCH = RUNNING["torch"]
OTHER = f"tests/recorded/versions/{TORCH}"


def pin_another_torch(project):
    pyproject = project / "pyproject.toml"
    pyproject.write_text(re.sub(r'"torch==[^"]+"', '"torch==0.0.1"', pyproject.read_text()))


def test_another_torch_records_only_what_differs_and_the_site_shows_it(project):
    pin_another_torch(project)
    updated = run_tests(project, UPDATE_FLAG, SNIPPET_TESTS)
    assert updated.returncode == 0, updated.stdout
    assert not (project / OTHER / "sample").exists(), "an output equal to the pinned one was kept"

    plant(project, SNIPPET, SAMPLE_SNIPPET.replace("6 * 7", "6 * 7 + 1").replace("== 42", "== 43"))
    updated = run_tests(project, UPDATE_FLAG, SNIPPET_TESTS)
    assert updated.returncode == 0, updated.stdout
    assert (
        project / OTHER / "sample/count.txt"
    ).read_text() == "43\nanswer: 43\nclaim: 6 x 7 is 42: True\n"
    assert (project / RECORDING).read_text().startswith("42\n"), "the pinned recording changed"
    written = json.loads((project / OTHER / "environment.json").read_text())
    assert written["torch"] == TORCH and re.fullmatch(r"\d{4}-\d\d-\d\d", written["recorded"])

    checked = run_tests(project, SNIPPET_TESTS)
    assert checked.returncode == 0, checked.stdout

    assert build(project).returncode == 0
    listed = BeautifulSoup(
        (project / "site/torch-versions/index.html").read_text(), "html.parser"
    ).get_text()
    assert (
        f"Under torch {TORCH}, recorded {written['recorded']}, it prints 2 lines differently"
        in listed
    ), listed
    assert "-42" in listed and "+43" in listed
    shown = (
        project / "site" / PAGE.removeprefix("docs/").removesuffix(".md") / "index.html"
    ).read_text()
    assert f"On torch {TORCH}, this prints something else (recorded {written['recorded']})" in shown
    assert 'href="../../torch-versions/#snippets-sample-count-py"' in shown

    plant(project, SNIPPET, SAMPLE_SNIPPET)
    assert run_tests(project, UPDATE_FLAG, SNIPPET_TESTS).returncode == 0
    assert not (project / OTHER / "sample/count.txt").exists(), "a difference that is gone was kept"


def test_a_snippet_that_raises_under_another_torch_records_the_failure(project):
    pin_another_torch(project)
    plant(
        project,
        SNIPPET,
        "import warnings\nwarnings.warn('incompatible torch version')\nimport no_such_module\n",
    )
    updated = run_tests(project, UPDATE_FLAG, SNIPPET_TESTS)
    assert updated.returncode == 0, updated.stdout
    finding = (project / OTHER / "sample/count.txt").read_text()
    assert finding.startswith(versions.RAISED), finding
    assert "UserWarning: incompatible torch version" in finding, (
        "the explanatory line before the traceback was dropped"
    )
    assert finding.endswith("ModuleNotFoundError: No module named 'no_such_module'\n"), finding
    assert run_tests(project, SNIPPET_TESTS).returncode == 0, (
        "the recorded failure is this torch's output"
    )


def test_the_pinned_torch_never_writes_under_versions(project):
    plant(project, SNIPPET, SAMPLE_SNIPPET + "1 / 0\n")
    assert run_tests(project, UPDATE_FLAG, SNIPPET_TESTS).returncode != 0
    assert not (project / "tests/recorded/versions").exists()


# --- the markdown, in-process ---------------------------------------------------------------------

PINNED = {"torch": "2.13.0", "torch build": "cpu", "torchao": "0.18.0", "python": "3.11"}
NEWER = {
    "torch": "2.14.1",
    "torch build": "cu130",
    "torchao": "0.18.0",
    "python": "3.11",
    "recorded": "2026-11-26",
}


def difference(other="43\n") -> versions.Difference:
    return versions.Difference("snippets/a/b.py", NEWER, PINNED, "42\n", other)


def test_a_difference_names_both_versions_in_its_diff():
    assert difference().diff().splitlines()[:2] == [
        "--- recorded with torch 2.13.0 (+cpu), torchao 0.18.0, Python 3.11",
        "+++ recorded with torch 2.14.1 (+cu130), torchao 0.18.0, Python 3.11",
    ]


def test_the_note_under_an_output_links_the_versions_page_from_the_page_folder():
    note = versions.note_markdown([difference()], "pruning/page.md", indent="    ")
    assert note.startswith(
        '    ??? warning "On torch 2.14.1, this prints something else (recorded 2026-11-26)"'
    )
    assert "(../torch-versions.md#snippets-a-b-py)" in note
    raised = versions.note_markdown([difference(versions.RAISED + "ImportError: x\n")], "index.md")
    assert (
        raised.startswith('??? warning "On torch 2.14.1, this raises')
        and "(torch-versions.md#" in raised
    )


def test_the_versions_page_lists_each_version_and_each_difference():
    older = versions.Difference(
        "snippets/a/b.py", {**NEWER, "torch": "2.9.0"}, PINNED, "42\n", "41\n"
    )
    page = versions.page_markdown(
        [older, difference()], {"snippets/a/b.py": ("pruning/page.md", "A page")}
    )
    assert (
        "| 2.14.1 | torch 2.14.1 (+cu130), torchao 0.18.0, Python 3.11 | 2026-11-26 | 1 |" in page
    )
    assert page.index("| 2.14.1 |") < page.index("| 2.9.0 |"), "the newest release first"
    assert page.index("## [A page](pruning/page.md)") < page.index(
        "### `snippets/a/b.py` {#snippets-a-b-py}"
    ), "the snippets are listed under their question"
    assert "Under torch 2.14.1, recorded 2026-11-26, it prints 1 line differently:" in page
    assert "No other torch version is recorded yet." in versions.page_markdown([], {})


def test_the_note_goes_under_the_block_the_renderer_runs_at_its_indentation():
    from compression_answers.page_transform import with_other_versions

    page = (
        "Text.\n\n"
        '!!! example "Run"\n\n'
        '    ```python exec="on" title="snippets/a/b.py"\n'
        '    --8<-- "snippets/a/b.py"\n'
        "    ```\n\n"
        "````markdown\n"  # the same block shown as an example: not run, no note
        '```python exec="on" title="snippets/a/b.py"\n'
        '--8<-- "snippets/a/b.py"\n'
        "```\n"
        "````\n"
    )
    noted = with_other_versions(page, "pruning/page.md", [difference()], ROOT).split("\n")
    closing = noted.index("    ```")
    assert noted[closing + 1] == ""
    assert noted[closing + 2].startswith('    ??? warning "On torch 2.14.1')
    assert sum(line.lstrip().startswith("??? warning") for line in noted) == 1


def test_an_output_that_differs_only_in_the_versions_it_prints_is_not_shown():
    report = "torch           {torch}\ntorchao         {torchao}\nsklearn 1.9.1\n"
    only = versions.Difference(
        "snippets/index/environment.py",
        {**NEWER, "torch": "2.9.0", "torchao": "0.14.1"},
        PINNED,
        report.format(**PINNED),
        report.format(torch="2.9.0", torchao="0.14.1"),
    )
    assert only.only_versions
    assert not difference().only_versions, "42 against 43 is a finding, not a version"
    assert versions.shown([only, difference()]) == [difference()]
    page = versions.page_markdown([only], {})
    assert "snippets/index/environment.py" not in page
    assert "No other torch version is recorded yet." in page
    assert versions.note_markdown([only], "index.md") == ""


def test_what_changed_is_said_in_a_line_before_the_diff():
    raised = difference(versions.RAISED + "Traceback ...\nImportError: no int4 here\n")
    assert raised.summary() == "raises `ImportError: no int4 here`"
    assert difference("43\n44\n").summary() == "prints 2 lines differently"
