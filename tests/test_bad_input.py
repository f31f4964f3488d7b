"""Every bad input fails the build or the tests with a message that names the file (and line).

Each fault is planted in a small temporary copy of the project (the `project` fixture).
"""

import subprocess
import time

import pytest
from project_copy import (
    PAGE,
    RECORDING,
    SAMPLE_PAGE,
    SAMPLE_SNIPPET,
    SNIPPET,
    SNIPPET_TESTS,
    build,
    plant,
    run_tests,
)
from snippet_outputs import RUNNING, UPDATE_COMMAND, UPDATE_FLAG

from compression_answers import versions

RECORDED = "42\nanswer: 42\nclaim: 6 x 7 is 42: True\n"  # what SAMPLE_SNIPPET prints


def fails_with(done: subprocess.CompletedProcess, *messages: str) -> None:
    log = done.stdout + done.stderr
    assert done.returncode != 0, f"expected a failure, got success:\n{log}"
    for message in messages:
        assert message in log, f"{message!r} not in:\n{log}"


# --- the build ----------------------------------------------------------------------------------


def test_a_snippet_that_raises_fails_the_build_naming_file_and_line(project):
    plant(project, SNIPPET, "answer = 6 * 7\nprint(answer)\nraise RuntimeError('planted')\n")
    fails_with(
        build(project), f'File "{SNIPPET}", line 3, in <module>', "RuntimeError: planted", "Aborted"
    )


def test_a_snippet_that_hangs_is_stopped_at_the_time_limit(project):
    # Asleep, not spinning: the limit is wall-clock time, and a spin would only burn CPU meanwhile.
    plant(project, SNIPPET, "import time\n\nwhile True:\n    time.sleep(1)\n")
    started = time.monotonic()
    done = build(project, SNIPPET_TIMEOUT="1")
    fails_with(done, f"{SNIPPET}: still running after 1 s, stopped", "Aborted")
    assert time.monotonic() - started < 60


def test_an_include_of_a_missing_file_fails_the_build_naming_page_and_line(project):
    page = SAMPLE_PAGE.replace('"snippets/sample/count.py"', '"snippets/sample/missing.py"')
    plant(project, PAGE, page)
    line = page.splitlines().index('--8<-- "snippets/sample/missing.py"') + 1
    fails_with(
        build(project), f"{PAGE}:{line}: includes snippets/sample/missing.py, which does not exist"
    )


def test_a_snippet_no_page_includes_fails_the_build(project):
    plant(project, "snippets/sample/forgotten.py", "print('nobody shows me')\n")
    fails_with(
        build(project), "snippets/sample/forgotten.py: no page includes this snippet", "Aborted"
    )


# One build per way of failing: the forms and the messages are tests/test_fence.py's, in-process.
def test_code_typed_into_a_page_fails_the_build_naming_page_and_line(project):
    inline = "print('claim: 6 x 7 is 42: True')"
    block = f'!!! note\n\n    ```python exec="on" result="text" title="{SNIPPET}"\n    {inline}\n    ```'
    plant(project, PAGE, SAMPLE_PAGE + "\n" + block + "\n")
    line = (SAMPLE_PAGE + "\n" + block).splitlines().index(
        f'    ```python exec="on" result="text" title="{SNIPPET}"'
    ) + 1
    fails_with(
        build(project), f"{PAGE}:{line}: the block titled {SNIPPET} holds other code than the file"
    )


def test_an_executed_block_this_site_does_not_run_stops_the_build(project):
    plant(project, PAGE, SAMPLE_PAGE + '\n```pycon exec="on"\n>>> print(1)\n```\n')
    fails_with(build(project), f"{PAGE}: an executed 'pycon' block: only Python snippets execute")


def test_returncode_and_width_are_supported(project):
    plant(
        project,
        "snippets/sample/exits.py",
        "import os, sys\nprint(os.environ['COLUMNS'])\nsys.exit(3)\n",
    )
    block = (
        '```python exec="on" result="text" returncode="3" width="61" title="snippets/sample/exits.py"\n'
        '--8<-- "snippets/sample/exits.py"\n```'
    )
    plant(project, PAGE, SAMPLE_PAGE + "\n" + block + "\n")
    done = build(project)
    assert done.returncode == 0, done.stderr
    assert "61" in (project / "site/checks/sample/index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("variable, value", [("SNIPPET_TIMEOUT", "5s"), ("SNIPPET_JOBS", "0")])
def test_a_bad_setting_stops_the_build_naming_the_variable(project, variable, value):
    fails_with(
        build(project, **{variable: value}),
        f"{variable}={value!r}",
        "an environment variable the build reads",
    )


def test_a_fault_in_the_cache_stops_the_build_naming_the_snippet(project):
    plant(project, "site/checks/sample/index.html", "<p>42</p>")  # what an earlier build published
    plant(project, ".cache/executed-snippets", "a file where the cache's folder should be")
    fails_with(build(project, SNIPPET_CACHE="on"), f"{SNIPPET}: the runner failed")
    assert "42" not in (
        (project / "site/checks/sample/index.html").read_text()
        if (project / "site/checks/sample/index.html").exists()
        else ""
    )


def test_a_snippet_that_writes_into_the_project_fails_the_build_and_publishes_nothing(project):
    plant(project, SNIPPET, "open('docs/planted.md', 'w').write('# Planted')\n" + SAMPLE_SNIPPET)
    fails_with(
        build(project), f"{SNIPPET} changed the project it ran in: added docs/planted.md", "Aborted"
    )
    assert not (project / "docs/planted.md").exists()


def test_links_to_a_missing_page_or_anchor_fail_the_build(project):
    links = [
        "[elsewhere](nowhere.md)",
        "[a heading](#no-such-heading)",
        "[a heading elsewhere](../index.md#no-such-heading)",
    ]
    plant(project, PAGE, SAMPLE_PAGE + "".join(f"\nSee {link}.\n" for link in links))
    fails_with(
        build(project),
        "'nowhere.md'",
        "'#no-such-heading'",
        "'../index.md#no-such-heading'",
        "Aborted",
    )


def block(opening: str) -> str:
    start = SAMPLE_PAGE.index(opening)
    return SAMPLE_PAGE[start : SAMPLE_PAGE.index("</quiz>", start) + len("</quiz>")]


MISSING_PARTS = {  # the part, and how a page lacks it
    "the question": ("## The question\n", ""),
    "the hint": ('??? tip "Hint"', "??? note"),
    "the usual answer": ('??? question "The usual answer', '??? note "The answer'),
    "answer options": (block("<quiz answer>\n"), ""),
    "the reader's prediction": (block("<quiz>\n"), ""),
    "a verdict": ('!!! verdict "holds"', '!!! note "Verdict"'),
}


def test_question_pages_without_a_required_part_fail_the_build_each_named(project):
    # One build: each page lacks one part, and the strict build reports every page before it stops.
    messages = []
    for number, (part, (removed, instead)) in enumerate(MISSING_PARTS.items()):
        page = f"docs/checks/part{number}.md"
        plant(project, page, SAMPLE_PAGE.replace(removed, instead))
        messages.append(f"{page}:1: a question page needs {part}")
    fails_with(build(project), *messages, "Aborted")


def test_a_prediction_marked_by_hand_fails_the_build(project):
    plant(project, PAGE, SAMPLE_PAGE.replace("- [ ] It is wrong", "- [x] It is wrong"))
    fails_with(
        build(project),
        f"{PAGE}:",
        "the prediction's right choice is marked by the build from the runs",
        "Aborted",
    )


def test_a_verdict_the_runs_do_not_decide_fails_the_build_naming_the_claim(project):
    plant(project, PAGE, SAMPLE_PAGE.replace('!!! verdict "holds"', '!!! verdict "wrong"'))
    line = SAMPLE_PAGE.splitlines().index('!!! verdict "holds"') + 1
    fails_with(
        build(project),
        f"{PAGE}:{line}: the runs decide the verdict 'holds', but the prose under it was written for 'wrong'",
        "snippets/sample/count.py printed 'claim: 6 x 7 is 42: True'",
        "Aborted",
    )


def test_a_question_page_whose_snippets_check_nothing_fails_the_build(project):
    plant(project, SNIPPET, "print(6 * 7)\n")
    fails_with(build(project), f"{PAGE}: none of its snippets prints a checked line", "Aborted")


def test_a_false_check_fails_the_build_naming_it(project):
    plant(project, SNIPPET, SAMPLE_SNIPPET + "print('check: the prose says this: False')\n")
    fails_with(
        build(project),
        "snippets/sample/count.py printed 'check: the prose says this: False'",
        "Aborted",
    )


def test_a_malformed_checked_line_fails_the_build(project):
    plant(project, SNIPPET, "print('claim: 6 x 7 is 42: yes')\n")
    fails_with(
        build(project), "snippets/sample/count.py printed 'claim: 6 x 7 is 42: yes'", "Aborted"
    )


# --- the tests and the update command -------------------------------------------------------------


def test_a_snippet_without_recorded_output_fails_the_tests(project):
    (project / RECORDING).unlink()
    fails_with(
        run_tests(project, SNIPPET_TESTS),
        f"{SNIPPET} has no recorded output ({RECORDING}): run `{UPDATE_COMMAND}`",
    )


def test_a_recording_without_snippet_fails_the_tests(project):
    plant(project, "tests/recorded/sample/renamed.txt", (project / RECORDING).read_text())
    fails_with(
        run_tests(project, SNIPPET_TESTS),
        "recorded outputs with no snippet (delete them): tests/recorded/sample/renamed.txt",
    )


def test_a_changed_output_fails_the_tests_with_its_diff(project):
    plant(project, SNIPPET, SAMPLE_SNIPPET.replace("6 * 7", "6 * 7 + 1"))
    fails_with(
        run_tests(project, SNIPPET_TESTS),
        f"{SNIPPET} no longer prints its recorded output ({RECORDING})",
        f"--- recorded with {versions.describe(RUNNING)}",  # the copy was recorded by this run's versions
        f"+++ now, with {versions.describe(RUNNING)}",
        "-42",
        "+43",
    )


def test_a_nondeterministic_snippet_is_not_recorded(project):
    plant(project, SNIPPET, "import random\n\nprint(random.random())\n")
    fails_with(
        run_tests(project, UPDATE_FLAG, SNIPPET_TESTS),
        f"{SNIPPET} printed different output on two runs of `python {SNIPPET}`",
    )
    assert (project / RECORDING).read_text() == RECORDED


def test_the_update_command_refuses_a_snippet_that_exits_halfway(project):
    plant(
        project,
        SNIPPET,
        "import os\n\nprint(42, flush=True)\nos._exit(0)\nprint('claim: 6 x 7 is 42: True')\n",
    )
    fails_with(
        run_tests(project, UPDATE_FLAG, SNIPPET_TESTS),
        f"{SNIPPET} exited with code 0 before its last line ran",
    )
    assert (project / RECORDING).read_text() == RECORDED


def test_the_update_command_names_a_difference_between_the_runners_as_a_runner_bug(project):
    # A script's __builtins__ is the builtins module; the code runpy runs gets the module's dict.
    plant(project, SNIPPET, "print(type(__builtins__).__name__)\n")
    fails_with(
        run_tests(project, UPDATE_FLAG, SNIPPET_TESTS),
        "and another in the build's runner: a difference between the two ways of running it",
    )
    assert (project / RECORDING).read_text() == RECORDED


def test_the_update_command_refuses_a_snippet_that_raises(project):
    plant(project, SNIPPET, SAMPLE_SNIPPET + "1 / 0\n")
    fails_with(
        run_tests(project, UPDATE_FLAG, SNIPPET_TESTS),
        f'File "{SNIPPET}", line {SAMPLE_SNIPPET.count(chr(10)) + 1}, in <module>',
        "ZeroDivisionError",
    )
    assert (project / RECORDING).read_text() == RECORDED


def test_the_update_command_rewrites_only_the_selected_page_and_shows_the_diff(project):
    plant(project, "docs/checks/other.md", SAMPLE_PAGE.replace("sample/count", "other/count"))
    plant(project, "snippets/other/count.py", SAMPLE_SNIPPET)
    done = run_tests(project, UPDATE_FLAG, SNIPPET_TESTS, "-k", "other")
    assert done.returncode == 0, done.stdout
    assert "re-recorded tests/recorded/other/count.txt" in done.stdout
    plant(project, SNIPPET, SAMPLE_SNIPPET.replace("6 * 7", "6 * 7 + 1"))
    plant(project, "snippets/other/count.py", SAMPLE_SNIPPET.replace("6 * 7", "6 * 7 + 2"))
    done = run_tests(project, UPDATE_FLAG, SNIPPET_TESTS, "-k", "sample")
    assert done.returncode == 0, done.stdout
    assert (
        f"re-recorded {RECORDING}" in done.stdout
        and "-42\n" in done.stdout
        and "+43\n" in done.stdout
    )
    assert (project / RECORDING).read_text().startswith("43\n")
    assert (project / "tests/recorded/other/count.txt").read_text() == RECORDED, (
        "a page that was not selected changed"
    )


# --- adding a question, as CONTRIBUTING.md says ---------------------------------------------------


def test_a_new_question_needs_a_page_its_snippets_and_the_update_command(project):
    page = (
        SAMPLE_PAGE.replace("sample/count", "throwaway/square")
        .replace("# Sample", "# Throwaway")
        .replace("- [ ] 48", "- [ ] 144")
    )
    plant(project, "docs/pruning/throwaway.md", page)
    plant(
        project,
        "snippets/throwaway/square.py",
        "import math\n\nprint(f'answer: {math.prod([12, 12])}')\nprint('claim: 12 x 12 is 144: True')\n",
    )
    updated = run_tests(project, UPDATE_FLAG)
    assert "re-recorded tests/recorded/throwaway/square.txt" in updated.stdout, updated.stdout
    assert build(project).returncode == 0
    assert "144" in (project / "site/pruning/throwaway/index.html").read_text(encoding="utf-8")
    checked = run_tests(project, "-v")
    assert checked.returncode == 0, checked.stdout
    assert "test_snippet_prints_its_recording[throwaway/square] PASSED" in checked.stdout
    assert "test_built_pages_show_what_the_snippets_print PASSED" in checked.stdout
