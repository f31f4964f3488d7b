"""Each question page's notebook, as the site serves it with the outputs its build stored, runs
top to bottom in a fresh kernel, in an empty folder, and reproduces every stored output: what a
reader sees before running anything is what running it gives (test_site.py compares the stored
outputs with `python <snippet>`, and test_snippets.py that with the recording). A kernel's run
is kept for the next test run while the cells and whatever shapes their outputs stay the same
(outcome_memo.py)."""

import os

import nbformat
import pytest
from snippet_outputs import DOCS, UPDATE_FLAG, mask_measured
from test_site import stored_outputs

from compression_answers import versions
from compression_answers.notebooks import notebook_download, question_pages

PAGES = question_pages(DOCS)
KERNEL = "python3"


def test_there_are_question_pages():
    assert PAGES, "no question page under docs/<section>/"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.stem)
def test_a_fresh_kernel_reproduces_the_stored_outputs(
    page, tmp_path, pytestconfig, request, outcome_memo
):
    if pytestconfig.getoption(UPDATE_FLAG):
        pytest.skip("recordings are being rewritten: run the tests again to check the notebooks")
    built_site = request.getfixturevalue("built_site")  # not built while recordings are rewritten
    served = nbformat.reads(
        (built_site / notebook_download(page)).read_text(encoding="utf-8"), as_version=4
    )
    stored = stored_outputs(served)
    assert stored and all(stored.values()), (
        f"{notebook_download(page)} stores no output for some snippet"
    )
    sources = [[cell.cell_type, cell.source] for cell in served.cells]

    def execute() -> dict:
        import nbclient  # Jupyter's client only where a kernel runs: a quarter second per collection

        fresh = nbformat.reads(nbformat.writes(served), as_version=4)
        for cell in fresh.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        nbclient.NotebookClient(
            fresh,
            timeout=300,
            kernel_name=KERNEL,
            resources={"metadata": {"path": str(tmp_path)}},
            # Once the outputs are in, the kernel is killed: a polite shutdown waits up to 3.5 s.
            shutdown_kernel="immediate",
        ).execute()
        return {
            "outputs": stored_outputs(fresh),
            "stray values": [
                output.get("output_type")
                for cell in fresh.cells
                for output in cell.get("outputs", [])
                if output.get("output_type") == "execute_result"
                and "text/html" not in output.get("data", {})
            ],
        }

    ran = outcome_memo.outcome({"kernel": KERNEL, "cells": sources}, dict(os.environ), execute)
    for path, output in ran["outputs"].items():
        want, got = mask_measured(stored[path]), mask_measured(output)
        assert got == want, (
            f"{path} in a fresh kernel:\n{versions.diff(want, got, 'stored', 'fresh kernel')}"
        )
    assert ran["outputs"].keys() == stored.keys(), "the fresh kernel ran other snippets"
    assert ran["stray values"] == [], "a cell shows a stray value"
