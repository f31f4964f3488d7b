"""The tests' kept outcomes (outcome_memo.py): one is reused only under the same key, and the
key changes with whatever can change what an execution prints."""

from outcome_memo import (
    OutcomeMemo,
    folder_contents,
    key,
    machine_and_interpreter,
    snippet_sources,
)

from compression_answers.cache import environment
from compression_answers.numerics import cores
from compression_answers.runner import file_hash

SHARED = {"python": "3.11.7", "installed": ["torch==2.13.0"], "cpu": "flags: avx2"}
WHAT = {"python": "snippets/a/b.py", "folder": {"b.py": "1"}}


def counting(outcome: dict):
    calls = []

    def execute() -> dict:
        calls.append(1)
        return outcome

    return execute, calls


def test_an_outcome_is_executed_once_and_then_kept(tmp_path):
    execute, calls = counting({"output": "42\n"})
    first = OutcomeMemo(tmp_path).outcome(WHAT, {}, execute)
    again = OutcomeMemo(tmp_path).outcome(WHAT, {}, execute)  # the next test run
    assert first == again == {"output": "42\n"} and len(calls) == 1


def test_an_outcome_the_execution_did_not_decide_is_not_kept(tmp_path):
    execute, calls = counting({"error": "still running after 120 s", "decided": False})
    OutcomeMemo(tmp_path).outcome(WHAT, {}, execute)
    OutcomeMemo(tmp_path).outcome(WHAT, {}, execute)
    assert len(calls) == 2


def test_an_unreadable_entry_is_executed_again(tmp_path):
    execute, calls = counting({"output": "42\n"})
    memo = OutcomeMemo(tmp_path)
    memo.outcome(WHAT, {}, execute)
    for entry in tmp_path.glob("*.json"):
        entry.write_text("{not json")
    assert memo.outcome(WHAT, {}, execute) == {"output": "42\n"} and len(calls) == 2


def test_the_key_follows_what_runs_how_and_where():
    base = key(WHAT, {}, SHARED)
    assert key({**WHAT, "folder": {"b.py": "2"}}, {}, SHARED) != base, "an edited file"
    assert key(WHAT, {"ONEDNN_MAX_CPU_ISA": "AVX2"}, SHARED) != base, "oneDNN capped"
    assert key(WHAT, {"OMP_NUM_THREADS": "4"}, SHARED) != base, "another thread count"
    assert key(WHAT, {}, {**SHARED, "installed": ["torch==2.14.1"]}) != base, "another torch"
    assert key(WHAT, {}, {**SHARED, "cpu": "flags: avx512_vnni"}) != base, "another CPU"
    assert key(WHAT, {"HOME": "/elsewhere", "PYTEST_XDIST_WORKER": "gw1"}, SHARED) == base, (
        "a variable nothing reads changed the key"
    )


def test_the_folder_and_the_machine_are_read_as_they_are(tmp_path):
    (tmp_path / "b.py").write_text("print(1)\n")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "b.cpython-311.pyc").write_bytes(b"\0")
    before = folder_contents(tmp_path)
    assert list(before) == ["b.py"], "bytecode caches are not the snippet's files"
    (tmp_path / "b.py").write_text("print(2)\n")
    assert folder_contents(tmp_path) != before
    shared = machine_and_interpreter()
    assert any(line.startswith("torch==") for line in shared["installed"])
    assert shared["build"] == environment(), "the build cache's environment is the memo's too"
    assert shared["build"]["cores"] == str(cores()) and shared["judging code"]


def test_a_snippet_that_runs_another_folders_snippet_reads_that_folder_too(tmp_path):
    (tmp_path / "snippets/a").mkdir(parents=True)
    (tmp_path / "snippets/b").mkdir(parents=True)
    (tmp_path / "snippets/a/plot.py").write_text('runpy.run_path("snippets/b/table.py")\n')
    (tmp_path / "snippets/b/table.py").write_text("print(1)\n")
    (tmp_path / "snippets/c.py").write_text("never read\n")
    before = snippet_sources(tmp_path, "snippets/a/plot.py")
    assert sorted(before) == ["snippets/a/plot.py", "snippets/b/table.py"]
    (tmp_path / "snippets/b/table.py").write_text("print(2)\n")
    assert snippet_sources(tmp_path, "snippets/a/plot.py") != before


def test_a_sibling_snippet_is_read_only_when_imported(tmp_path):
    folder = tmp_path / "snippets/a"
    folder.mkdir(parents=True)
    (folder / "question.py").write_text("import torch\nfrom helpers import model\nprint(model)\n")
    (folder / "helpers.py").write_text("model = 1\n")
    (folder / "storage.py").write_text("print('another snippet')\n")
    (folder / "weights.csv").write_text("1,2\n")
    sources = snippet_sources(tmp_path, "snippets/a/question.py")
    assert sorted(sources) == [
        "snippets/a/helpers.py",
        "snippets/a/question.py",
        "snippets/a/weights.csv",
    ], "a sibling snippet that is neither imported nor named is not read"
    (folder / "storage.py").write_text("print('edited')\n")
    assert snippet_sources(tmp_path, "snippets/a/question.py") == sources
    (folder / "helpers.py").write_text("model = 2\n")
    assert snippet_sources(tmp_path, "snippets/a/question.py") != sources, "an imported sibling"
    (folder / "question.py").write_text("print(\n")  # unparsable: it may read anything beside it
    assert "snippets/a/storage.py" in snippet_sources(tmp_path, "snippets/a/question.py")


def test_a_kept_outcome_whose_read_file_changed_is_executed_again(tmp_path):
    """The build cache's test of a kept output (cache.reads_unchanged), here: a data file the run
    opened, wherever it lies in the project, is checked again before the outcome is reused."""
    (tmp_path / "data").mkdir()
    table = tmp_path / "data/table.txt"
    table.write_text("v1\n")
    memo = OutcomeMemo(tmp_path / "memo", project=tmp_path)
    runs = []

    def execute() -> dict:
        runs.append(table.read_text())
        return {"output": table.read_text(), "read": {"data/table.txt": file_hash(table)}}

    assert memo.outcome({"python": "a.py"}, {}, execute)["output"] == "v1\n"
    assert memo.outcome({"python": "a.py"}, {}, execute)["output"] == "v1\n"
    assert runs == ["v1\n"], "an unchanged read was executed again"
    table.write_text("v2\n")
    assert memo.outcome({"python": "a.py"}, {}, execute)["output"] == "v2\n"
