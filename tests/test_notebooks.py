"""Each question page's notebook, as the site serves it with the outputs its build stored, runs
top to bottom in a fresh kernel, in an empty folder, and reproduces every stored output: what a
reader sees before running anything is what running it gives (test_site.py compares the stored
outputs with `python <snippet>`, and test_snippets.py that with the recording)."""

import nbclient
import nbformat
import pytest
from snippet_outputs import DOCS, UPDATE_FLAG, mask_measured
from test_site import stored_outputs

from compression_answers import versions
from compression_answers.notebooks import notebook_download, question_pages

PAGES = question_pages(DOCS)


def test_there_are_question_pages():
    assert PAGES, "no question page under docs/<section>/"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.stem)
def test_a_fresh_kernel_reproduces_the_stored_outputs(page, tmp_path, pytestconfig, request):
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
    fresh = nbformat.reads(nbformat.writes(served), as_version=4)
    for cell in fresh.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbclient.NotebookClient(
        fresh, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    for path, ran in stored_outputs(fresh).items():
        want, got = mask_measured(stored[path]), mask_measured(ran)
        assert got == want, (
            f"{path} in a fresh kernel:\n{versions.diff(want, got, 'stored', 'fresh kernel')}"
        )
    assert all(
        output.get("output_type") != "execute_result" or "text/html" in output.get("data", {})
        for cell in fresh.cells
        for output in cell.get("outputs", [])
    ), "a cell shows a stray value"
