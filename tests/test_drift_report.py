"""The drift run's report (compression_answers.drift_report) fails, naming the snippet and why,
on a planted drift and on a planted crash, and fails when nothing was tested."""

from pathlib import Path

import pytest
from project_copy import RECORDING, SNIPPET, SNIPPET_TESTS, plant, run_tests

from compression_answers import drift_report


def report_of(project: Path, tmp_path: Path, *args: str) -> tuple[int, str]:
    """The report of the copy's test run (its snippet test, unless `args` choose otherwise)."""
    junit = tmp_path / "junit.xml"
    run_tests(project, f"--junitxml={junit}", *(args or [SNIPPET_TESTS]))
    summary = tmp_path / "summary.md"
    code = drift_report.main([str(junit), "--summary", str(summary)])
    return code, summary.read_text(encoding="utf-8")


def test_a_drifted_snippet_fails_the_report_with_its_diff_once(project, tmp_path):
    plant(project, RECORDING, "43\nanswer: 42\nclaim: 6 x 7 is 42: True\n")
    code, summary = report_of(project, tmp_path, "tests")  # the site and notebook tests see it too
    assert code == 1
    assert "0 other tests failed" in summary, summary
    assert "1 snippets tested: 1 drifted, 0 failed, 0 unchanged" in summary, summary
    assert f"#### `{SNIPPET}`" in summary and "-43\n+42" in summary, summary
    assert "torch 2." in summary and "Python 3.11" in summary, summary


def test_a_crashing_snippet_fails_the_report_with_its_exception(project, tmp_path):
    plant(
        project,
        SNIPPET,
        "import warnings\nwarnings.warn('explains the failure')\nraise RuntimeError('planted')\n",
    )
    code, summary = report_of(project, tmp_path)
    assert code == 1
    assert "1 snippets tested: 0 drifted, 1 failed, 0 unchanged" in summary, summary
    assert f"#### `{SNIPPET}`" in summary and "RuntimeError: planted" in summary, summary
    assert "UserWarning: explains the failure" in summary, (
        "the library's line before the traceback was dropped"
    )


def test_an_unchanged_run_passes(project, tmp_path):
    code, summary = report_of(project, tmp_path)
    assert (code, "No recorded output changed, and every snippet ran." in summary) == (0, True), (
        summary
    )


def test_a_run_that_tested_nothing_fails(project, tmp_path):
    code, summary = report_of(project, tmp_path, SNIPPET_TESTS, "-k", "no-such-snippet")
    assert code == 1 and "**Nothing was tested:**" in summary, summary
    missing = drift_report.main([str(tmp_path / "never-written.xml")])
    assert missing == 1


def report_from_xml(tmp_path: Path, cases: str) -> drift_report.Report:
    junit = tmp_path / "junit.xml"
    junit.write_text(f'<testsuites><testsuite name="pytest">{cases}</testsuite></testsuites>')
    return drift_report.read(junit)


SNIPPET_CASE = 'classname="tests.test_snippets" name="test_snippet_prints_its_recording[a/b]"'


def test_a_failure_with_a_one_line_message_is_reported(tmp_path):
    report = report_from_xml(
        tmp_path, f'<testcase {SNIPPET_CASE}><failure message="one line" /></testcase>'
    )
    assert report.failed == {"snippets/a/b.py": "one line"}, report
    assert "one line" in drift_report.markdown(report)


def test_a_drift_is_read_from_its_property_not_from_the_message(tmp_path):
    report = report_from_xml(
        tmp_path,
        f'<testcase {SNIPPET_CASE}><properties><property name="drift" value="-1&#10;+2" />'
        '</properties><failure message="worded otherwise">worded otherwise</failure></testcase>',
    )
    assert report.drifted == {"snippets/a/b.py": "-1\n+2"} and report.exit_code == 1, report


@pytest.mark.parametrize(
    "skipped",
    [
        '<skipped type="pytest.xfail" message="flaky" />',  # marked xfail, and it failed
        '<skipped message="xfail-marked test passes unexpectedly" />',  # xpass
    ],
)
def test_an_xfail_mark_on_a_snippets_test_counts_as_a_failure(tmp_path, skipped):
    report = report_from_xml(tmp_path, f"<testcase {SNIPPET_CASE}>{skipped}</testcase>")
    assert report.exit_code == 1 and "xfail" in report.failed["snippets/a/b.py"], report
