"""Recordings hold on any x86-64 CPU: the snippets that quantize print them with oneDNN capped at AVX2,
as on a CPU without AVX512-VNNI or AMX, where int8 kernels take other paths."""
import pytest
from snippet_outputs import ROOT, Snippet, all_snippets, diff, mask_measured

QUANTIZING = [s for s in all_snippets() if "quantiz" in (ROOT / s.path).read_text(encoding="utf-8")]


def test_there_are_snippets_that_quantize():
    assert len(QUANTIZING) >= 3, [s.key for s in QUANTIZING]


@pytest.mark.parametrize("snippet", QUANTIZING, ids=lambda s: s.key)
def test_a_snippet_that_quantizes_prints_its_recording_with_onednn_capped_at_avx2(snippet: Snippet):
    if not snippet.recorded.exists():
        pytest.skip("no recording yet: test_snippet_prints_its_recording says so")
    recorded = snippet.recorded.read_text(encoding="utf-8")
    output = mask_measured(snippet.run_standalone(ONEDNN_MAX_CPU_ISA="AVX2"))
    assert output == recorded, f"{snippet.path} with ONEDNN_MAX_CPU_ISA=AVX2:\n{diff(recorded, output)}"
