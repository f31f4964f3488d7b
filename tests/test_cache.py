"""The execution cache: a prose edit executes nothing, a snippet edit executes that snippet only,
a new library version executes everything, and unused entries are deleted."""
import re

import executed_snippets
from project_copy import PAGE, SAMPLE_SNIPPET, SNIPPET, build, plant


def build_with_cache(project) -> tuple[int, int]:
    """How many snippets the build executed, and how many it took from the cache."""
    done = build(project, SNIPPET_CACHE="on")
    assert done.returncode == 0, done.stderr
    executed, from_cache = re.search(r"snippets: (\d+) executed .*?, (\d+) from cache", done.stderr).groups()
    return int(executed), int(from_cache)


def test_only_what_changed_is_executed_again(project):
    plant(project, "snippets/sample/square.py", "print(12 ** 2)\n")
    plant(project, PAGE, (project / PAGE).read_text() + '\n```python exec="on" source="above" result="text" title="snippets/sample/square.py"\n--8<-- "snippets/sample/square.py"\n```\n')
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
    plant(project, "snippets/sample/twice.py", 'import runpy\n\nrunpy.run_path("snippets/sample/count.py")\n')
    plant(project, PAGE, (project / PAGE).read_text() + '\n```python exec="on" result="text" title="snippets/sample/twice.py"\n--8<-- "snippets/sample/twice.py"\n```\n')
    assert build_with_cache(project) == (2, 0)
    plant(project, SNIPPET, SAMPLE_SNIPPET.replace("print(answer)", "print(answer, answer)"))
    assert build_with_cache(project) == (2, 0)


def test_the_key_holds_the_library_versions(monkeypatch):
    code, options = "import torch\nprint(torch.__version__)\n", ' source="above" title="snippets/a/b.py"'
    today = executed_snippets.cache_key(code, options)
    real_version = executed_snippets.version
    monkeypatch.setattr(executed_snippets, "version", lambda name: "9.9.9" if name == "torch" else real_version(name))
    assert executed_snippets.cache_key(code, options) != today


def test_the_key_holds_the_block_options():
    code = "print(1)\n"
    assert executed_snippets.cache_key(code, ' title="a"') != executed_snippets.cache_key(code, ' title="a" html="1"')
