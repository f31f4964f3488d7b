"""The execution cache: a prose edit executes nothing, a snippet edit executes that snippet only,
a new library version executes everything, and unused entries are deleted."""

import os
import re

import pytest
from project_copy import PAGE, SAMPLE_SNIPPET, SNIPPET, build, plant

from compression_answers import cache
from compression_answers.runner import Ran, file_hash


def build_with_cache(project, **env: str) -> tuple[int, int]:
    """How many snippets the build executed, and how many it took from the cache."""
    done = build(project, SNIPPET_CACHE="on", **env)
    assert done.returncode == 0, done.stderr
    executed, from_cache = re.search(
        r"snippets: (\d+) executed .*?, (\d+) from cache", done.stderr
    ).groups()
    return int(executed), int(from_cache)


def test_only_what_changed_is_executed_again(project):
    plant(project, "snippets/sample/square.py", "print(12 ** 2)\n")
    plant(
        project,
        PAGE,
        (project / PAGE).read_text()
        + '\n```python exec="on" source="above" result="text" title="snippets/sample/square.py"\n'
        + '--8<-- "snippets/sample/square.py"\n```\n',
    )
    assert build_with_cache(project) == (2, 0)
    assert build_with_cache(project) == (0, 2)

    plant(project, PAGE, (project / PAGE).read_text().replace("Multiply.", "Multiply the two."))
    assert build_with_cache(project) == (0, 2), "a prose edit executed a snippet"

    plant(project, SNIPPET, SAMPLE_SNIPPET + "# the answer\n")
    assert build_with_cache(project) == (1, 1)
    assert "42" in (project / "site/checks/sample/index.html").read_text()

    entries = sorted((project / ".cache/executed-snippets").glob("*.json"))
    assert len(entries) == 2, "the entry of the snippet before its edit was not deleted"


def test_a_snippet_that_runs_another_is_executed_again_when_that_one_changes(project):
    plant(
        project,
        "snippets/sample/twice.py",
        'import runpy\n\nrunpy.run_path("snippets/sample/count.py")\n',
    )
    plant(
        project,
        PAGE,
        (project / PAGE).read_text()
        + '\n```python exec="on" result="text" title="snippets/sample/twice.py"\n'
        + '--8<-- "snippets/sample/twice.py"\n```\n',
    )
    assert build_with_cache(project) == (2, 0)
    plant(project, SNIPPET, SAMPLE_SNIPPET.replace("print(answer)", "print(answer, answer)"))
    assert build_with_cache(project) == (2, 0)


def test_the_key_holds_the_library_versions(monkeypatch):
    code, options = (
        "import torch\nprint(torch.__version__)\n",
        {"path": "snippets/a/b.py", "returncode": 0},
    )
    today = cache.key(code, options, cache.environment())
    real_version = cache.version
    monkeypatch.setattr(
        cache, "version", lambda name: "9.9.9" if name == "torch" else real_version(name)
    )
    assert cache.key(code, options, cache.environment()) != today


@pytest.mark.parametrize(
    "variable, value",
    [
        ("ATEN_CPU_CAPABILITY", "avx2"),
        ("ONEDNN_MAX_CPU_ISA", "AVX2"),
        ("MKL_ENABLE_INSTRUCTIONS", "AVX2"),
        ("FBGEMM_ENABLE_INSTRUCTIONS", "AVX2"),
        ("OMP_NUM_THREADS", "2"),
    ],
)
def test_the_key_holds_the_variables_that_steer_torchs_kernels(monkeypatch, variable, value):
    code, options = "print(1)\n", {"path": "snippets/a/b.py", "returncode": 0}
    monkeypatch.delenv(variable, raising=False)
    before = cache.key(code, options, cache.environment())
    monkeypatch.setenv(variable, value)
    assert cache.key(code, options, cache.environment()) != before


def test_the_key_holds_the_cpu(monkeypatch):
    code, options = "print(1)\n", {"path": "snippets/a/b.py", "returncode": 0}
    before = cache.key(code, options, cache.environment())
    monkeypatch.setattr(cache.numerics, "cpu", lambda: "model name : another CPU")
    assert cache.key(code, options, cache.environment()) != before


def test_the_key_holds_the_block_options():
    environment = {"python": "3.11"}
    assert cache.key("print(1)\n", {"returncode": 0}, environment) != cache.key(
        "print(1)\n", {"returncode": 3}, environment
    )


def test_an_entry_is_a_miss_when_a_file_it_read_changed(tmp_path):
    (tmp_path / "data.txt").write_text("v1")
    entries = cache.Cache(tmp_path / "cache", tmp_path)
    entries.put(
        "k", "snippets/a/b.py", Ran("table v1\n", {"data.txt": file_hash(tmp_path / "data.txt")})
    )
    assert entries.get("k").output == "table v1\n"
    (tmp_path / "data.txt").write_text("v2")
    assert entries.get("k") is None


@pytest.mark.parametrize("content", ["{not json", '{"snippet": "x"}', '["a list"]', ""])
def test_an_unreadable_entry_is_a_miss_and_is_rewritten(tmp_path, content):
    entries = cache.Cache(tmp_path, tmp_path)
    (tmp_path / "k.json").write_text(content)
    assert entries.get("k") is None
    entries.put("k", "snippets/a/b.py", Ran("42\n"))
    assert entries.get("k").output == "42\n"
    assert [p.name for p in tmp_path.iterdir()] == ["k.json"], "a temporary file was left behind"


def test_unused_entries_are_pruned(tmp_path):
    entries = cache.Cache(tmp_path, tmp_path)
    entries.put("used", "snippets/a/b.py", Ran("1\n"))
    (tmp_path / "stale.json").write_text("{}")
    entries.prune()
    assert [p.name for p in tmp_path.iterdir()] == ["used.json"]


def test_the_key_holds_the_runners_code_and_no_other_module():
    modules = {path.name for path in cache.runner_modules()}
    assert {
        "runs.py",
        "runner.py",
        "cache.py",
        "numerics.py",
        "settings.py",
        "fresh_child.py",
    } <= modules
    assert not modules & {"drift_report.py", "pages.py", "claims.py", "api_index.py"}


def test_a_docstring_edit_outside_the_runner_keeps_the_key_and_one_inside_changes_it(tmp_path):
    package = tmp_path / "compression_answers"
    package.mkdir()
    for module in cache.PACKAGE.glob("*.py"):
        (package / module.name).write_bytes(module.read_bytes())
    before = cache.runner_code(package)
    report = package / "drift_report.py"
    report.write_text('"""Edited."""\n' + report.read_text())
    assert cache.runner_code(package) == before, "a module the runner does not use changed the key"
    runner = package / "runner.py"
    runner.write_text('"""Edited."""\n' + runner.read_text())
    assert cache.runner_code(package) != before


def test_a_changed_thread_count_executes_again(project):
    assert build_with_cache(project) == (1, 0)
    assert build_with_cache(project) == (0, 1)
    # One job at a time gives a snippet torch's default threads; more give each one thread.
    assert build_with_cache(project, SNIPPET_JOBS="1") == (1, 0)
    assert build_with_cache(project, SNIPPET_JOBS="1") == (0, 1)


@pytest.mark.parametrize("variable", ["MATPLOTLIBRC", "NPY_PROMOTION_STATE", "OPENBLAS_CORETYPE"])
def test_a_variable_nobody_listed_is_in_the_key(monkeypatch, variable):
    """The key holds every variable but those known not to matter (numerics.NOT_SHAPING)."""
    code, options = "print(1)\n", {"returncode": 0}
    before = cache.key(code, options, cache.environment())
    monkeypatch.setenv(variable, "planted")
    assert cache.key(code, options, cache.environment()) != before


def test_a_variable_known_not_to_matter_keeps_the_key(monkeypatch):
    code, options = "print(1)\n", {"returncode": 0}
    before = cache.key(code, options, cache.environment())
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw7")
    monkeypatch.setenv("SITE_URL", "https://example.org/sub/")
    assert cache.key(code, options, cache.environment()) == before


def test_a_library_file_changed_under_the_same_version_changes_the_key(tmp_path):
    """A fingerprint of the installed files, not only the version number."""
    from importlib.metadata import PathDistribution

    info = tmp_path / "lib-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Name: lib\nVersion: 1.0\n")
    (info / "RECORD").write_text("lib/core.py,,\nlib-1.0.dist-info/METADATA,,\n")
    (tmp_path / "lib").mkdir()
    core = tmp_path / "lib/core.py"
    core.write_text("ANSWER = 42\n")
    library = [PathDistribution(info)]
    before = cache.library_files(library)
    core.write_text("ANSWER = 41\n")  # the same size, the same version
    os.utime(core, ns=(0, 1_000_000_000))
    assert cache.library_files(library) != before
