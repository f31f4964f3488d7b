"""The GitHub Actions workflows are what a runner accepts (GitHub's workflow schema, as vendored
by check-jsonschema), and each does its job: test pull requests, deploy main, report torch drift."""
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from snippet_outputs import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"


def schema_check(*files: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", *map(str, files)],
        capture_output=True, text=True,
    )


def triggers(name: str) -> dict:
    workflow = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    return workflow[True]  # YAML 1.1 reads the key `on` as True


def test_every_workflow_matches_the_schema():
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert files, "no workflow under .github/workflows"
    done = schema_check(*files)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_schema_check_catches_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text((WORKFLOWS / "pull-request.yml").read_text().replace("runs-on:", "run-on:"))
    assert schema_check(broken).returncode != 0


@pytest.mark.parametrize(
    "name, event",
    [("pull-request.yml", "pull_request"), ("deploy.yml", "push"), ("torch-drift.yml", "schedule")],
)
def test_each_job_has_its_trigger(name, event):
    assert event in triggers(name)


def test_pull_requests_run_what_ci_runs():
    assert "bash .ci/run" in (WORKFLOWS / "pull-request.yml").read_text()


def test_main_deploys_to_pages():
    text = (WORKFLOWS / "deploy.yml").read_text()
    assert triggers("deploy.yml")["push"]["branches"] == ["main"]
    assert "actions/deploy-pages" in text and "mkdocs build --strict" in text


def test_the_drift_report_goes_to_the_job_summary():
    text = (WORKFLOWS / "torch-drift.yml").read_text()
    assert "--upgrade torch torchao" in text and "--update-recorded" in text and "GITHUB_STEP_SUMMARY" in text
