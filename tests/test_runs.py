"""The build's scheduling, in-process: a snippet that times something runs with no other snippet
beside it, and one waiting to do so holds back new ones."""

import threading
import time

import pytest

from compression_answers.runner import times_itself
from compression_answers.runs import Gate


@pytest.mark.parametrize(
    "code, timing",
    [
        ("from torch.utils import benchmark\n", True),
        ("import torch.utils.benchmark as benchmark\n", True),
        ("t = torch.utils.benchmark.Timer('f()')\n", True),
        ("import torch\nprint(torch.ones(2))\n", False),
        ("import time\nprint(time.perf_counter() > 0)\n", False),
    ],
)
def test_a_snippet_times_itself_when_it_uses_torch_utils_benchmark(code, timing):
    assert times_itself(code) is timing


def test_a_timing_run_waits_for_the_others_and_holds_back_new_ones():
    gate, events = Gate(), []
    first_running, release_first = threading.Event(), threading.Event()

    def side_by_side(name, hold=None):
        with gate.side_by_side():
            events.append(f"{name} starts")
            if hold:
                first_running.set()
                hold.wait(5)
            events.append(f"{name} ends")

    def alone():
        with gate.alone():
            events.append("timing starts")
            time.sleep(0.05)
            events.append("timing ends")

    first = threading.Thread(target=side_by_side, args=("first", release_first))
    first.start()
    first_running.wait(5)
    timing = threading.Thread(target=alone)
    timing.start()
    time.sleep(0.05)  # the timing run is waiting now
    late = threading.Thread(target=side_by_side, args=("late",))
    late.start()
    time.sleep(0.05)
    assert events == ["first starts"], "a run started beside a waiting timing run"
    release_first.set()
    for thread in (first, timing, late):
        thread.join(5)
    assert events == [
        "first starts",
        "first ends",
        "timing starts",
        "timing ends",
        "late starts",
        "late ends",
    ]


def test_a_run_whose_reads_are_not_all_known_is_not_cached(tmp_path, monkeypatch):
    """The kernel's queue overflowed, or a folder could not be watched: the next build runs it
    again rather than trust a key that may lack a file it read."""
    from compression_answers import runs, settings
    from compression_answers.runner import Ran

    (tmp_path / "snippets/sample").mkdir(parents=True)
    (tmp_path / "snippets/sample/a.py").write_text("print(1)\n")
    ran = {"complete": False}
    monkeypatch.setattr(
        runs, "run_snippet", lambda *a, **k: Ran("1\n", {}, 0.0, complete=ran["complete"])
    )
    options = settings.Settings(cache=True, timeout=10.0, jobs=1)
    first = runs.Runs(tmp_path, settings=options)
    assert first.output("snippets/sample/a.py") == "1\n"
    first.shutdown()
    assert list((tmp_path / runs.CACHE_DIR).glob("*.json")) == []
    ran["complete"] = True
    second = runs.Runs(tmp_path, settings=options)
    second.output("snippets/sample/a.py")
    second.shutdown()
    assert len(list((tmp_path / runs.CACHE_DIR).glob("*.json"))) == 1


def sample_runs(project, **kwargs):
    from compression_answers import runs, settings

    options = settings.Settings(cache=True, timeout=30.0, jobs=1)
    return runs.Runs(project, settings=options, **kwargs)


def test_a_snippet_saved_during_a_build_is_kept_under_the_code_that_ran(tmp_path):
    """The build runs the copy of the project it made at its start: the output is kept under
    that code, so the next build runs the saved code instead of showing the old output."""
    snippet = tmp_path / "snippets/sample/a.py"
    snippet.parent.mkdir(parents=True)
    snippet.write_text("print(42)\n")
    first = sample_runs(tmp_path)
    first.pristine()  # the build has started
    snippet.write_text("print('six sevens:', 42)\n")  # saved while it runs
    assert first.output("snippets/sample/a.py") == "42\n"
    first.shutdown()
    second = sample_runs(tmp_path)
    assert second.output("snippets/sample/a.py") == "six sevens: 42\n"
    second.shutdown()


def test_a_file_the_snippet_looked_for_and_did_not_find_is_in_the_key(tmp_path):
    snippet = tmp_path / "snippets/sample/a.py"
    snippet.parent.mkdir(parents=True)
    snippet.write_text(
        "try:\n    print(open('data/extra.txt').read(), end='')\n"
        "except FileNotFoundError:\n    print('none')\n"
    )
    first = sample_runs(tmp_path)
    assert first.output("snippets/sample/a.py") == "none\n"
    first.shutdown()
    (tmp_path / "data").mkdir()
    (tmp_path / "data/extra.txt").write_text("found\n")
    second = sample_runs(tmp_path)
    assert second.output("snippets/sample/a.py") == "found\n"
    assert second.executed, "the kept output was used though the file now exists"
    second.shutdown()
