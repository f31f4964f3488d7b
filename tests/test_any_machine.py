"""Recordings hold on any x86-64 CPU with AVX2, and the page matches a reader's run at any core
count: every snippet prints the same (measured figures aside) as a CPU with AVX2 only would, and
with two threads as with one (test_snippets.py compares the one-thread run with the recording).

A CPU with AVX2 only is imitated by capping all four libraries that choose their instruction
paths by the CPU at once: ATen's vector kernels, oneDNN, MKL's BLAS and fbgemm. Capping oneDNN
alone missed the drift of snippets that quantize nothing. This is the cheapest combination that
catches the drift seen on such a CPU; the pull-request workflow runs the recordings check under
the whole matrix of caps (.ci/recordings-under-caps, in .github/workflows/pull-request.yml)."""

import pytest
from snippet_outputs import Snippet, all_snippets

from compression_answers import versions
from compression_answers.numerics import AVX2_ONLY

SNIPPETS = all_snippets()


def same_as_one_thread_uncapped(snippet: Snippet, standalone, how: str, **env: str) -> None:
    reference = standalone(snippet)
    if "output" not in reference:
        pytest.skip("the snippet raised: test_snippets.py reports it")
    outcome = standalone(snippet, **env)
    assert "output" in outcome, f"{snippet.path} {how}: {outcome['error']}"
    assert outcome["output"] == reference["output"], (
        f"{snippet.path} prints something else {how}; pin what it depends on in its own code "
        f"(see CONTRIBUTING.md):\n"
        f"{versions.diff(reference['output'], outcome['output'], 'one thread, this CPU', how)}"
    )


@pytest.mark.parametrize("snippet", SNIPPETS, ids=lambda s: s.key)
def test_a_snippet_prints_the_same_on_a_cpu_with_avx2_only(snippet: Snippet, standalone):
    caps = " ".join(f"{name}={value}" for name, value in AVX2_ONLY.items())
    same_as_one_thread_uncapped(snippet, standalone, f"under {caps}", **AVX2_ONLY)


@pytest.mark.parametrize("snippet", SNIPPETS, ids=lambda s: s.key)
def test_a_snippet_prints_the_same_with_two_threads(snippet: Snippet, standalone):
    same_as_one_thread_uncapped(snippet, standalone, "with OMP_NUM_THREADS=2", OMP_NUM_THREADS="2")
