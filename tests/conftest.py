import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from filelock import FileLock

# Before torch is imported here: the snippets forked from this worker inherit one OpenMP thread.
os.environ["OMP_NUM_THREADS"] = "1"

from leftovers import Snapshot
from outcome_memo import OutcomeMemo
from snippet_outputs import (
    ROOT,
    RUNNING,
    SNIPPET_ENV,
    UPDATE_FLAG,
    Snippet,
    SnippetRaised,
    build_environment,
    mask_measured,
)

from compression_answers import runner, settings, shards

SHARD_OPTION = "--snippet-shard"
BUILD_TIMEOUT_SECONDS = 600  # a hung build must not hold the suite for CI's 90 minutes


def pytest_addoption(parser):
    parser.addoption(
        UPDATE_FLAG,
        action="store_true",
        help="rewrite tests/recorded/ with what each selected snippet prints now (the only way recordings "
        "are written); select one page's or one snippet's with -k, e.g. -k pruning-count",
    )
    parser.addoption(
        SHARD_OPTION,
        default=None,
        help="i/n: compare only the snippets of shard i of n with their recordings, as "
        "`python -m compression_answers.shards run i/n` runs only those for the site",
    )


def pytest_collection_modifyitems(config, items):
    """Under --snippet-shard, the other shards' snippets are left to their own jobs."""
    shard = config.getoption(SHARD_OPTION)
    if shard is None:
        return
    try:
        index, count = shards.parse(shard)
    except shards.BadShard as error:
        raise pytest.UsageError(f"{SHARD_OPTION}: {error}") from None
    others = []
    for item in items:
        snippet = item.callspec.params.get("snippet") if hasattr(item, "callspec") else None
        if (
            isinstance(snippet, Snippet)
            and shards.shard_of(snippet.path.as_posix(), count) != index
        ):
            others.append(item)
    if others:
        config.hook.pytest_deselected(items=others)
        items[:] = [item for item in items if item not in others]


def pytest_terminal_summary(terminalreporter):
    # Test workers run elsewhere (xdist): what they found comes back in the reports.
    properties = [
        prop
        for report in terminalreporter.stats.get("passed", [])
        for prop in report.user_properties
    ]
    for name, value in properties:
        if name == "re-recorded":
            terminalreporter.write_sep("-", f"re-recorded {value['recording']}")
            terminalreporter.write_line(value["diff"])
    weights = sorted(value for name, value in properties if name == "page weight")
    if weights:
        terminalreporter.write_sep("-", "page weight, measured in the browser")
        for line in weights:
            terminalreporter.write_line(line)


# A test that asks for one of these runs snippets (or builds that do); one that drives a browser
# starts the browser's processes for the whole session, so only its files and folders are checked.
RUNS_SNIPPETS = {"standalone", "project", "baseline", "outcome_memo", "built_site_outcome"}
RUNS_SNIPPETS_MODULES = {"test_runner", "test_runs", "test_real_drift", "test_timing_load"}
STARTS_A_BROWSER = {"page", "browser", "context"}


@pytest.fixture(autouse=True)
def leaves_nothing_behind(request):
    """After every test that runs a snippet: no process left running under this test process, no
    scratch folder that no build will sweep, no file changed in the checkout."""
    names = set(request.fixturenames)
    runs = names & RUNS_SNIPPETS or request.module.__name__ in RUNS_SNIPPETS_MODULES
    if not runs or request.config.getoption(UPDATE_FLAG):
        yield
        return
    before = Snapshot(ROOT, processes=not names & STARTS_A_BROWSER)
    yield
    problems = before.left_behind()
    if problems:
        pytest.fail(f"{request.node.nodeid} left behind:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture(scope="session")
def baseline(tmp_path_factory, worker_id) -> Path:
    """The small copy, recorded and built once per test run whichever worker asks first."""
    from project_copy import make_project

    shared = _shared(tmp_path_factory, worker_id)
    made = shared / "baseline"
    with FileLock(str(shared / "baseline.lock")):
        if not made.exists():
            # Renamed into place only when whole: a worker that fails leaves nothing half made.
            make_project(tmp_path_factory.mktemp("baseline-in-progress")).rename(made)
    return made


@pytest.fixture
def project(baseline, tmp_path) -> Path:
    """A fresh small copy of the project, built and recorded once (see project_copy.py)."""
    return Path(shutil.copytree(baseline, tmp_path / "project"))


def pytest_configure(config):
    # Recording a trace of every browser test costs a third of their time: CI, where a failure
    # cannot be replayed by hand, keeps the failed ones' traces; a local run asks with --tracing.
    if os.environ.get("CI") and config.getoption("tracing", None) == "off":
        config.option.tracing = "retain-on-failure"


# What each phase of a test reported, for a fixture that keeps evidence only when the test failed.
PHASE_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    item.stash.setdefault(PHASE_REPORTS, {})[report.when] = report
    return report


@pytest.fixture
def test_failed(request):
    """Asked at teardown: whether the test did not pass (no call at all counts as failed)."""

    def failed() -> bool:
        call = request.node.stash.get(PHASE_REPORTS, {}).get("call")
        return call is None or call.failed

    return failed


def pytest_report_header(config):
    return f"versions: {', '.join(f'{name} {value}' for name, value in RUNNING.items())}"


def _shared(tmp_path_factory, worker_id) -> Path:
    """A folder every test worker of this run sees."""
    return (
        tmp_path_factory.getbasetemp()
        if worker_id == "master"
        else tmp_path_factory.getbasetemp().parent
    )


@pytest.fixture(scope="session")
def outcome_memo(tmp_path_factory, worker_id) -> OutcomeMemo:
    """Executions' outcomes: kept in .cache/outcomes for the next run, or with SNIPPET_CACHE=off
    for this run's workers only (see outcome_memo.py for what a key holds)."""
    if settings.read().cache:
        return OutcomeMemo(ROOT / ".cache" / "outcomes")
    return OutcomeMemo(_shared(tmp_path_factory, worker_id) / "outcomes")


@pytest.fixture(scope="session")
def standalone(outcome_memo):
    """`python <snippet>`'s outcome, with `env` added to the environment, executed once whichever
    test and worker asks first: {"output": masked text} or {"error": message, "finding": what
    another torch records}."""

    def outcome_of(snippet: Snippet, **env: str) -> dict[str, str]:
        def execute() -> dict:
            try:
                output, read, complete = snippet.run_standalone_observed(**env)
                # Not kept when what it read is not all known (reads.py).
                return {"output": mask_measured(output), "read": read, "decided": complete}
            except SnippetRaised as error:
                return {"error": str(error), "finding": error.finding, "read": error.read}
            except AssertionError as error:
                # Stopped at the time limit, or printed what it must not: not kept.
                return {"error": str(error), "decided": False}

        code = runner.file_hash(ROOT / snippet.path)
        return outcome_memo.outcome(
            {"python": str(snippet.path), "code": code}, {**SNIPPET_ENV, **env}, execute
        )

    return outcome_of


@pytest.fixture(scope="session")
def built_site_outcome(tmp_path_factory, worker_id, pytestconfig) -> dict:
    """The site, built once per test run whichever worker asks first: `mkdocs build --strict`
    with torch's default thread count and the build's cache, so an output comes from a run of
    the same snippet under the same key (.ci/run's own build fills it from empty). The site
    tests compare every page with this test run's own `python <snippet>`."""
    if pytestconfig.getoption(UPDATE_FLAG):
        pytest.skip(
            "recordings are being rewritten: run the tests again to build the site with them"
        )
    shared = _shared(tmp_path_factory, worker_id)
    site, outcome = shared / "built-site", shared / "built-site.json"
    with FileLock(str(shared / "built-site.lock")):
        if not outcome.exists():
            done = subprocess.run(
                [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
                cwd=ROOT,
                check=False,
                capture_output=True,
                text=True,
                timeout=BUILD_TIMEOUT_SECONDS,
                # SNIPPET_CACHE as the run has it: on unless the author turned it off.
                env=build_environment(),
            )
            outcome.write_text(
                json.dumps({"returncode": done.returncode, "log": done.stderr, "site": str(site)})
            )
    return json.loads(outcome.read_text())


@pytest.fixture(scope="session")
def built_site(built_site_outcome) -> Path:
    if built_site_outcome["returncode"] != 0:
        # Reported once, by test_site.py::test_the_site_builds_strict, not by every test that reads the site.
        pytest.skip("mkdocs build --strict failed: test_the_site_builds_strict shows why")
    return Path(built_site_outcome["site"])
