"""Shards: each runs its share of the snippets into its own cache, the caches merge under the
same checks as a local cache's, and the build from the merged cache executes nothing and
publishes the same site as one build that ran everything. Simulated here with processes."""

import filecmp
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from project_copy import PAGE, build, plant, run
from snippet_outputs import ROOT

from compression_answers import settings, shards

# Two more snippets on the sample page: with count.py, each of the two shards gets one or more.
MORE = {
    "snippets/sample/cube.py": "print(3 ** 3)\n",
    "snippets/sample/square.py": "print(12 ** 2)\n",
}


def with_more_snippets(project: Path) -> list[str]:
    page = (project / PAGE).read_text()
    for path, code in MORE.items():
        plant(project, path, code)
        page += f'\n```python exec="on" result="text" title="{path}"\n--8<-- "{path}"\n```\n'
    plant(project, PAGE, page)
    snippets = ["snippets/sample/count.py", *MORE]
    assert {shards.shard_of(path, 2) for path in snippets} == {1, 2}, "each shard has work"
    return snippets


def run_shard(project: Path, shard: str) -> None:
    done = run(
        project,
        "compression_answers.shards",
        "run",
        shard,
        "--cache",
        f"shard-{shard[0]}",
        SNIPPET_CACHE="on",
    )
    assert done.returncode == 0, done.stdout + done.stderr


def merge(project: Path, *sources: str):
    return run(project, "compression_answers.shards", "merge", *sources)


def executed(log: str) -> int:
    return int(re.search(r"snippets: (\d+) executed", log)[1])


def same_site(one: Path, other: Path) -> list[str]:
    """The files that differ between two built sites, or exist in one only."""
    compared = filecmp.dircmp(one, other)
    found = [*compared.left_only, *compared.right_only, *compared.diff_files]
    for name in compared.subdirs:
        found += [f"{name}/{f}" for f in same_site(one / name, other / name)]
    return found


def test_the_site_from_merged_shards_executes_nothing_and_equals_one_build(project, tmp_path):
    with_more_snippets(project)
    single = build(project)  # SNIPPET_CACHE=off: every snippet run here
    assert single.returncode == 0, single.log
    (project / "site").rename(tmp_path / "single-site")

    run_shard(project, "1/2")
    run_shard(project, "2/2")
    merged = merge(project, "shard-1", "shard-2")
    assert merged.returncode == 0, merged.stderr
    final = build(project, SNIPPET_CACHE="on", SNIPPET_EXECUTE="off")
    assert final.returncode == 0, final.log
    assert executed(final.log) == 0
    assert same_site(tmp_path / "single-site", project / "site") == []


def test_a_missing_shard_fails_the_build_naming_the_snippets_nobody_ran(project):
    snippets = with_more_snippets(project)
    run_shard(project, "1/2")
    assert merge(project, "shard-1").returncode == 0
    final = build(project, SNIPPET_CACHE="on", SNIPPET_EXECUTE="off")
    assert final.returncode == 1
    unrun = sorted(path for path in snippets if shards.shard_of(path, 2) == 2)
    assert f"no output of {', '.join(unrun)}: no shard ran them" in final.log


def test_a_merge_refuses_an_entry_whose_snippet_changed_since_it_ran(project):
    with_more_snippets(project)
    run_shard(project, "1/2")
    changed = next(path for path in MORE if shards.shard_of(path, 2) == 1)
    plant(project, changed, "print('other code')\n")
    refused = merge(project, "shard-1")
    assert refused.returncode == 1
    assert f"{changed}: filed under a key other than this checkout" in refused.stderr
    assert not (project / ".cache/executed-snippets").exists(), "nothing is merged if any fails"


def test_a_merge_refuses_two_outputs_under_one_key_and_an_entry_it_cannot_read(project):
    with_more_snippets(project)
    run_shard(project, "1/2")
    entry = next((project / "shard-1").glob("*.json"))
    other = json.loads(entry.read_text())
    other["output"] = "a different output\n"
    plant(project, f"shard-x/{entry.name}", json.dumps(other))
    plant(project, "shard-y/0123.json", "{not json")
    refused = merge(project, "shard-1", "shard-x", "shard-y")
    assert refused.returncode == 1
    assert f"{other['snippet']}: shard-1/{entry.name} holds another output" in refused.stderr
    assert "shard-y/0123.json: not an entry of this project's snippets" in refused.stderr


def test_a_shard_is_written_as_i_of_n():
    assert shards.parse("2/3") == (2, 3)
    for wrong in ("0/3", "4/3", "2", "a/b", "1/0"):
        with pytest.raises(shards.BadShard):
            shards.parse(wrong)


def test_a_snippets_shard_is_the_same_in_every_process():
    """Decided by the path's hash, not Python's salted hash(): a shard job on one machine and the
    merge on another agree on which shard owes which snippet."""
    paths = [f"snippets/q{n}/s.py" for n in range(200)]
    here = [shards.shard_of(path, 4) for path in paths]
    assert set(here) == {1, 2, 3, 4}
    code = f"from compression_answers.shards import shard_of; print([shard_of(p, 4) for p in {paths!r}])"
    elsewhere = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
    )
    assert elsewhere.stdout.strip() == str(here)


def test_a_build_that_executes_nothing_needs_the_cache():
    assert settings.read({"SNIPPET_EXECUTE": "off"}).execute is False
    with pytest.raises(settings.BadSetting, match="the cache must be on"):
        settings.read({"SNIPPET_EXECUTE": "off", "SNIPPET_CACHE": "off"})
    with pytest.raises(settings.BadSetting, match="SNIPPET_EXECUTE='maybe'"):
        settings.read({"SNIPPET_EXECUTE": "maybe"})


def test_the_recording_tests_split_by_the_same_shards():
    """`pytest --snippet-shard i/n` keeps the recording tests of shard i's snippets: together
    the shards keep each snippet's once, and the tests of no snippet in each."""

    def collected(*options: str) -> list[str]:
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "tests/test_snippets.py", "--collect-only", "-q"]
            + ["-p", "no:cacheprovider", "-n", "0", *options],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        return [line for line in done.stdout.splitlines() if "::" in line]

    everything = collected()
    per_shard = [collected("--snippet-shard", f"{i}/3") for i in (1, 2, 3)]
    recordings = [t for t in everything if "test_snippet_prints_its_recording" in t]
    others = [t for t in everything if t not in recordings]
    assert sorted(t for tests in per_shard for t in tests if t in recordings) == sorted(recordings)
    for i, tests in enumerate(per_shard, 1):
        assert [t for t in tests if t not in recordings] == others
        for test in tests:
            if test in recordings:
                key = test.split("[")[1].rstrip("]")
                assert shards.shard_of(f"snippets/{key}.py", 3) == i, test
