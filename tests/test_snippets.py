"""Every snippet, run as the build runs it and as a reader runs it, prints its recorded output."""
from collections import Counter

import pytest
from snippet_outputs import (
    DOCS,
    EXECUTED_BLOCK,
    RECORDED,
    ROOT,
    UPDATE_COMMAND,
    UPDATE_FLAG,
    Snippet,
    all_inclusions,
    all_snippets,
    diff,
    mask_measured,
)

SNIPPETS = all_snippets()


def test_there_are_snippets():
    assert SNIPPETS, "no snippet found under snippets/"


@pytest.mark.parametrize("snippet", SNIPPETS, ids=lambda s: s.key)
def test_snippet_prints_its_recording(snippet: Snippet, request):
    output = mask_measured(snippet.run_like_the_build())
    recorded_at = snippet.recorded.relative_to(ROOT)
    old = snippet.recorded.read_text(encoding="utf-8") if snippet.recorded.exists() else None
    if request.config.getoption(UPDATE_FLAG):
        if output != old:
            snippet.recorded.parent.mkdir(parents=True, exist_ok=True)
            snippet.recorded.write_text(output, encoding="utf-8")
            print(f"re-recorded {recorded_at}:\n{diff(old or '', output)}")
    elif old is None:
        pytest.fail(f"{snippet.path} has no recorded output ({recorded_at}): run `{UPDATE_COMMAND}`", pytrace=False)
    elif output != old:
        pytest.fail(
            f"{snippet.path} no longer prints its recorded output ({recorded_at}).\n{diff(old, output)}\n"
            f"If the change is intended, run `{UPDATE_COMMAND}` and commit the new recording.",
            pytrace=False,
        )
    # What a reader sees from `python snippets/...py` must be what the page shows.
    standalone = mask_measured(snippet.run_standalone())
    if standalone != output:
        pytest.fail(
            f"`python {snippet.path}` prints something else than the build's run of it "
            f"(markdown-exec captures print() calls only, and ignores their sep= and file=).\n"
            f"{diff(output, standalone)}",
            pytrace=False,
        )


def test_every_executed_block_includes_a_snippet_file():
    # Code typed straight into a page would run at build time but escape every check here.
    included = Counter(str(inclusion.page) for inclusion in all_inclusions())
    typed_in = [
        str(page.relative_to(DOCS))
        for page in sorted(DOCS.rglob("*.md"))
        if len(EXECUTED_BLOCK.findall(page.read_text(encoding="utf-8"))) != included[str(page.relative_to(DOCS))]
    ]
    assert typed_in == [], 'pages with an executed block that is not `--8<-- "snippets/<slug>/<name>.py"` alone'


def test_every_snippet_is_on_a_page():
    on_pages = {inclusion.snippet for inclusion in all_inclusions()}
    assert [str(s.path) for s in SNIPPETS if s not in on_pages] == []


def test_every_recording_has_a_snippet():
    expected = {s.recorded for s in SNIPPETS}
    assert [str(p.relative_to(ROOT)) for p in sorted(RECORDED.rglob("*.txt")) if p not in expected] == []
