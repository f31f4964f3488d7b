"""Every snippet, run as a reader runs it, prints its recorded output; the update command records
it only when the build's runner prints the same.

This is the one test that compares a snippet's output with its recording: the site, notebook,
Zensical and instruction-set tests compare theirs with this run's, so a drifted snippet is
reported once, here. Under a torch other than the pinned one, the recording compared is that
version's own where one was kept (see compression_answers.versions)."""

import datetime
from pathlib import Path

import pytest
from snippet_outputs import (
    CODE_HASH_SUFFIX,
    ON_PINNED_TORCH,
    RECORDED,
    ROOT,
    RUNNING,
    UPDATE_COMMAND,
    UPDATE_FLAG,
    Snippet,
    SnippetRaised,
    all_snippets,
    diff,
    drift,
    mask_measured,
)

from compression_answers import drift_report, versions

SNIPPETS = all_snippets()


def test_there_are_snippets():
    assert SNIPPETS, "no snippet found under snippets/"


@pytest.mark.parametrize("snippet", SNIPPETS, ids=lambda s: s.key)
def test_snippet_prints_its_recording(snippet: Snippet, request, record_property, standalone):
    # The drift report (compression_answers.drift_report) reads the versions from the JUnit XML.
    for name, value in RUNNING.items():
        record_property(name, value)
    if request.config.getoption(UPDATE_FLAG):
        update(snippet, record_property)
        return
    expected, recorded_with = snippet.expected()
    shown = expected.relative_to(ROOT)
    if not expected.exists():
        pytest.fail(
            f"{snippet.path} has no recorded output ({shown}): run `{UPDATE_COMMAND}`",
            pytrace=False,
        )
    old = expected.read_text(encoding="utf-8")
    # What a reader sees from `python snippets/...py`; the other tests compare theirs with it.
    outcome = standalone(snippet)
    if "error" in outcome and not (
        old.startswith(versions.RAISED) and outcome.get("finding") == old
    ):
        pytest.fail(outcome["error"], pytrace=False)
    output = outcome.get("output", outcome.get("finding"))
    drifted = drift(snippet, old, output, recorded_with)
    if drifted:
        # The drift report reads the diff from this property, not from the message's wording.
        record_property(drift_report.DRIFT_PROPERTY, diff(old, output, recorded_with))
        pytest.fail(drifted, pytrace=False)


def update(snippet: Snippet, record_property) -> None:
    """Record what the snippet prints now, if two standalone runs and the build's runner agree.
    Under another torch, a snippet that raises records its failure: that is the finding."""
    try:
        output = mask_measured(snippet.run_standalone())
    except SnippetRaised as error:
        if ON_PINNED_TORCH:
            raise AssertionError(str(error)) from None
        output = error.finding
    else:
        again = mask_measured(snippet.run_standalone())
        if again != output:
            pytest.fail(
                f"{snippet.path} printed different output on two runs of `python {snippet.path}`: seed every "
                f"random generator inside the snippet, and print measured figures as ~<number>. Nothing was "
                f"recorded.\n{versions.diff(output, again, 'first run', 'second run')}",
                pytrace=False,
            )
        built = mask_measured(snippet.run_like_the_build())
        if built != output:
            pytest.fail(
                f"{snippet.path} printed one output under `python {snippet.path}` and another in the build's "
                f"runner: a difference between the two ways of running it, which is a bug of the runner "
                f"(compression_answers.runner) to report, unless the snippet depends on the thread count (set "
                f"it). Nothing was recorded.\n{versions.diff(output, built, 'python <path>', 'build runner')}",
                pytrace=False,
            )
    pinned = snippet.recorded.read_text(encoding="utf-8") if snippet.recorded.exists() else None
    if ON_PINNED_TORCH:
        versions.write_environment(RECORDED, RUNNING)
        target, old = snippet.recorded, pinned
    else:
        versions.write_environment(
            snippet.recorded_here.parent.parent,
            {**RUNNING, "recorded": datetime.date.today().isoformat()},
        )
        target = snippet.recorded_here
        old = target.read_text(encoding="utf-8") if target.exists() else pinned
        if output == pinned:
            # Kept only where this torch prints something else.
            target.unlink(missing_ok=True)
            snippet.recorded_here_from.unlink(missing_ok=True)
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        snippet.recorded_here_from.write_text(snippet.code_hash + "\n", encoding="utf-8")
    if output == old and target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(output, encoding="utf-8")
    record_property(
        "re-recorded", {"recording": str(target.relative_to(ROOT)), "diff": diff(old or "", output)}
    )


def test_every_recording_has_a_snippet():
    expected = {(s.slug, s.path.stem) for s in SNIPPETS}
    orphans = [
        str(p.relative_to(ROOT))
        for p in sorted(RECORDED.rglob("*.txt"))
        if (p.parent.name, p.stem) not in expected
        or p.parent.parent not in {RECORDED, *RECORDED.glob("versions/*")}
    ] + [
        str(p.relative_to(ROOT))
        for p in sorted(RECORDED.rglob(f"*{CODE_HASH_SUFFIX}"))
        if not p.with_suffix(".txt").is_file()
    ]
    assert orphans == [], f"recorded outputs with no snippet (delete them): {', '.join(orphans)}"


def test_every_other_version_says_which_versions_wrote_it():
    for directory in sorted(RECORDED.glob("versions/*")):
        written = versions.read_environment(directory)
        assert written and written["torch"] == directory.name and written.get("recorded"), (
            directory.relative_to(ROOT)
        )


def test_every_other_versions_recording_comes_from_the_snippet_as_it_is():
    """A recording kept under another torch is compared, and published, as that torch's output
    of the snippet: after an edit to the snippet it says nothing until it is recorded again."""
    stale = []
    for recording in sorted(RECORDED.glob("versions/*/*/*.txt")):
        snippet = Snippet(Path("snippets") / recording.parent.name / f"{recording.stem}.py")
        if not (ROOT / snippet.path).is_file():
            continue  # test_every_recording_has_a_snippet reports it
        written_from = recording.with_suffix(CODE_HASH_SUFFIX)
        kept = written_from.read_text(encoding="utf-8").strip() if written_from.exists() else None
        if kept != snippet.code_hash:
            stale.append(f"{snippet.path} under torch {recording.parent.parent.name}")
    assert stale == [], (
        "recordings under another torch that an earlier version of their snippet printed: "
        f"{'; '.join(stale)}. Record them again under that torch with `{UPDATE_COMMAND}` (README: "
        "Other torch versions), or delete them"
    )


@pytest.mark.parametrize(
    ("printed", "masked"),
    [
        (
            "  fp32 (eager)  ~0.589 ms  [~0.587, ~0.594]",
            "  fp32 (eager)  ~<measured> ms  [~<measured>, ~<measured>]",
        ),
        ("torch CPU capability here: ~AVX512", "torch CPU capability here: ~<this machine>"),
        (
            "other processes while timing: ~0.02 of a core (idle)",
            "other processes while timing: ~<this machine>",
        ),
        (
            "  int8 against fp32: ~no difference measured beyond 10% (0.74× the time)",
            "  int8 against fp32: ~<this machine>",
        ),
    ],
)
def test_a_time_or_a_machine_fact_is_masked(printed: str, masked: str):
    assert mask_measured(printed) == masked


@pytest.mark.parametrize(
    "printed",
    [
        "int8 accuracy: ~97.22%",
        "the compiled int8 model ~93.89%, the reference graph ~93.89%",
        "the two models agree on ~100% of the test set",
        "test predictions that differ between the two: ~14 of 540",
        "~3 predictions right in one and wrong in the other: ~3 of 540",
    ],
)
def test_an_accuracy_an_agreement_or_a_count_is_never_masked(printed: str):
    assert mask_measured(printed) == printed
