"""Every snippet, run as a reader runs it, prints its recorded output; the update command records
it only when the build's runner prints the same."""
import pytest
from snippet_outputs import RECORDED, ROOT, UPDATE_COMMAND, UPDATE_FLAG, Snippet, all_snippets, diff, mask_measured

SNIPPETS = all_snippets()


def test_there_are_snippets():
    assert SNIPPETS, "no snippet found under snippets/"


@pytest.mark.parametrize("snippet", SNIPPETS, ids=lambda s: s.key)
def test_snippet_prints_its_recording(snippet: Snippet, request, record_property):
    # What a reader sees from `python snippets/...py`; the site test checks the build shows the same.
    output = mask_measured(snippet.run_standalone())
    recorded_at = snippet.recorded.relative_to(ROOT)
    old = snippet.recorded.read_text(encoding="utf-8") if snippet.recorded.exists() else None
    if request.config.getoption(UPDATE_FLAG):
        # Recorded only if a second `python <path>` prints the same (else the output is random),
        # and the build's runner too (else the runner, not the snippet, is at fault).
        again = mask_measured(snippet.run_standalone())
        if again != output:
            pytest.fail(
                f"{snippet.path} printed different output on two runs of `python {snippet.path}`: seed every "
                f"random generator inside the snippet, and print measured figures as ~<number>. Nothing was "
                f"recorded.\n{diff(output, again)}",
                pytrace=False,
            )
        built = mask_measured(snippet.run_like_the_build())
        if built != output:
            pytest.fail(
                f"{snippet.path} printed one output under `python {snippet.path}` (recorded) and another in "
                f"the build's runner (now): a difference between the two ways of running it, which is a bug "
                f"of the runner (compression_answers.runner) to report, unless the snippet depends on the "
                f"thread count (set it). Nothing was recorded.\n{diff(output, built)}",
                pytrace=False,
            )
        if output == old:
            return
        snippet.recorded.parent.mkdir(parents=True, exist_ok=True)
        snippet.recorded.write_text(output, encoding="utf-8")
        record_property("re-recorded", {"recording": str(recorded_at), "diff": diff(old or "", output)})
    elif old is None:
        pytest.fail(f"{snippet.path} has no recorded output ({recorded_at}): run `{UPDATE_COMMAND}`", pytrace=False)
    elif output != old:
        pytest.fail(
            f"{snippet.path} no longer prints its recorded output ({recorded_at}).\n{diff(old, output)}\n"
            f"If the change is intended, run `{UPDATE_COMMAND}` and commit the new recording.",
            pytrace=False,
        )


def test_every_recording_has_a_snippet():
    expected = {s.recorded for s in SNIPPETS}
    orphans = [str(p.relative_to(ROOT)) for p in sorted(RECORDED.rglob("*.txt")) if p not in expected]
    assert orphans == [], f"recorded outputs with no snippet (delete them): {', '.join(orphans)}"
