"""Recordings hold on any x86-64 CPU: the snippets that quantize print the same with oneDNN capped
at AVX2, as on a CPU without AVX512-VNNI or AMX, where int8 kernels take other paths, as without
the cap (test_snippets.py compares that with the recording)."""

import pytest
from snippet_outputs import ROOT, Snippet, all_snippets

from compression_answers import versions

QUANTIZING = [s for s in all_snippets() if "quantiz" in (ROOT / s.path).read_text(encoding="utf-8")]


def test_there_are_snippets_that_quantize():
    assert len(QUANTIZING) >= 3, [s.key for s in QUANTIZING]


@pytest.mark.parametrize("snippet", QUANTIZING, ids=lambda s: s.key)
def test_a_snippet_that_quantizes_prints_the_same_with_onednn_capped_at_avx2(
    snippet: Snippet, standalone
):
    uncapped = standalone(snippet)
    if "output" not in uncapped:
        pytest.skip("the snippet raised without the cap: test_snippets.py reports it")
    outcome = standalone(snippet, ONEDNN_MAX_CPU_ISA="AVX2")
    assert "output" in outcome, f"with ONEDNN_MAX_CPU_ISA=AVX2: {outcome['error']}"
    capped = outcome["output"]
    assert capped == uncapped["output"], (
        f"{snippet.path}:\n{versions.diff(uncapped['output'], capped, 'this CPU', 'ONEDNN_MAX_CPU_ISA=AVX2')}"
    )
