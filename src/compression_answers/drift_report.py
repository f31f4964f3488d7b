"""The drift run's report: from pytest's JUnit XML, which snippets drifted and which failed, under
which versions; it exits non-zero when any did, or when nothing was tested.

    python -m compression_answers.drift_report <junit.xml> [--summary <file to append markdown to>]

The weekly drift workflow appends the report to `$GITHUB_STEP_SUMMARY`; its non-zero exit fails
the job, and GitHub notifies on a failed scheduled run.
"""

from __future__ import annotations

import argparse
import re
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

SNIPPET_TEST = "test_snippet_prints_its_recording"
# The property the recordings test writes, with the diff, when a snippet's output drifted.
DRIFT_PROPERTY = "drift"
REPORTED_LINES = 40  # of a failure's reason: the diff itself is given whole


@dataclass
class Report:
    versions: dict[str, str] = field(default_factory=dict)
    snippets_tested: int = 0
    tests: int = 0
    drifted: dict[str, str] = field(default_factory=dict)  # snippet -> diff
    failed: dict[str, str] = field(default_factory=dict)  # snippet or test -> reason
    nothing_ran: str | None = None

    @property
    def exit_code(self) -> int:
        return 1 if self.nothing_ran or self.drifted or self.failed else 0


def _snippet_of(name: str) -> str | None:
    found = re.fullmatch(rf"{SNIPPET_TEST}\[(?P<key>[^\]]+)\]", name)
    return f"snippets/{found['key']}.py" if found else None


def read(junit: Path) -> Report:
    report = Report()
    if not junit.is_file():
        report.nothing_ran = (
            f"there is no JUnit report at {junit}: the tests did not run (see the steps before)"
        )
        return report
    try:
        root = ET.parse(junit).getroot()  # noqa: S314 - pytest's report, written by the same job
    except ET.ParseError as error:
        report.nothing_ran = (
            f"the JUnit report {junit} is not XML ({error}): the test run did not finish"
        )
        return report
    for case in root.iter("testcase"):
        report.tests += 1
        name = case.get("name", "")
        snippet = _snippet_of(name)
        drift = None
        for prop in case.iter("property"):
            key = prop.get("name", "")
            if key in {"torch", "torch build", "torchao", "python"}:
                report.versions[key] = prop.get("value", "")
            elif key == DRIFT_PROPERTY:
                drift = prop.get("value", "")
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        skipped = case.find("skipped")
        skip_message = "" if skipped is None else skipped.get("message", "")
        # An xfail mark on a snippet's test hides a drift or a failure, whether the test then
        # fails (xfail) or passes (xpass): it counts as a failure.
        xfail_marked = skipped is not None and (
            skipped.get("type") == "pytest.xfail" or "xfail" in skip_message
        )
        if snippet and xfail_marked:
            report.snippets_tested += 1
            hides = "its test is marked xfail, which hides whether it drifted"
            report.failed[snippet] = f"{hides}: {skip_message}" if skip_message else hides
            continue
        if snippet and skipped is None:
            report.snippets_tested += 1
        if problem is None:
            continue
        text = (problem.text or "").strip() or problem.get("message", "")
        where = snippet or f"{case.get('classname', '')}::{name}"
        if snippet and drift is not None:
            report.drifted[snippet] = drift
        else:
            report.failed[where] = text.strip() or "failed, with no message"
    if report.snippets_tested == 0:
        report.nothing_ran = (
            f"the JUnit report {junit} holds {report.tests} tests and no snippet's: "
            "nothing was compared"
        )
    return report


def markdown(report: Report) -> str:
    versions = report.versions
    # As compression_answers.versions.describe writes it; not imported, to stay standard library only.
    against = (
        f"torch {versions.get('torch', '?')}"
        + (
            ""
            if versions.get("torch build", "none") == "none"
            else f" (+{versions['torch build']})"
        )
        + f", torchao {versions.get('torchao', '?')}, Python {versions.get('python', '?')}"
    )
    lines = [f"## Snippets against {against if versions else 'unknown versions'}", ""]
    if report.nothing_ran:
        return "\n".join([*lines, f"**Nothing was tested:** {report.nothing_ran}.", ""])
    failed_snippets = sum(1 for where in report.failed if where.startswith("snippets/"))
    unchanged = report.snippets_tested - len(report.drifted) - failed_snippets
    lines += [
        f"{report.snippets_tested} snippets tested: {len(report.drifted)} drifted, "
        f"{failed_snippets} failed, {unchanged} unchanged; "
        f"{len(report.failed) - failed_snippets} other tests failed.",
        "",
    ]
    if report.drifted:
        lines += ["### Drifted", ""]
        for snippet, diff in sorted(report.drifted.items()):
            lines += [f"#### `{snippet}`", "", "```diff", diff.strip("\n"), "```", ""]
    if report.failed:
        lines += ["### Failed", ""]
        for where, reason in sorted(report.failed.items()):
            shown = reason.splitlines()
            if len(shown) > REPORTED_LINES:
                shown = [
                    *shown[:REPORTED_LINES],
                    f"… {len(shown) - REPORTED_LINES} more lines in the log",
                ]
            lines += [f"#### `{where}`", "", "```text", *shown, "```", ""]
    if report.exit_code == 0:
        lines += ["No recorded output changed, and every snippet ran.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "junit", type=Path, help="pytest's --junitxml report of tests/test_snippets.py"
    )
    parser.add_argument(
        "--summary",
        type=Path,
        help="a file to append the markdown report to ($GITHUB_STEP_SUMMARY)",
    )
    args = parser.parse_args(argv)
    report = read(args.junit)
    text = markdown(report)
    print(text)
    if args.summary:
        with args.summary.open("a", encoding="utf-8") as summary:
            summary.write(text + "\n")
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main())
