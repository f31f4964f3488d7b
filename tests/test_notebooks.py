"""Each question page's notebook runs top to bottom in a fresh kernel, in an empty folder, and
each snippet's cell prints what `python <snippet>` prints (test_snippets.py compares that with
the recording): what the page shows."""

import nbclient
import nbformat
import pytest
from snippet_outputs import DOCS, ROOT, UPDATE_FLAG, Snippet, mask_measured

from compression_answers import versions
from compression_answers.notebooks import notebook_for, question_pages

PAGES = question_pages(DOCS)


def test_there_are_question_pages():
    assert PAGES, "no question page under docs/<section>/"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.stem)
def test_the_notebook_prints_what_the_page_shows(page, tmp_path, pytestconfig, standalone):
    if pytestconfig.getoption(UPDATE_FLAG):
        pytest.skip(
            "recordings are being rewritten: run the tests again to check the notebooks against them"
        )
    notebook = notebook_for(page, ROOT)
    nbformat.validate(notebook)
    expected = {
        snippet: standalone(Snippet(ROOT.joinpath(snippet).relative_to(ROOT)))
        for snippet in [
            cell.metadata["snippet"] for cell in notebook.cells if "snippet" in cell.metadata
        ]
    }
    if any("output" not in outcome for outcome in expected.values()):
        pytest.skip("a snippet of this page raised: test_snippets.py reports it")
    nbclient.NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    snippet_cells = [cell for cell in notebook.cells if "snippet" in cell.metadata]
    assert snippet_cells, f"{page.name} runs no snippet"
    for cell in snippet_cells:
        snippet = Snippet(ROOT.joinpath(cell.metadata["snippet"]).relative_to(ROOT))
        printed = "".join(output.text for output in cell.outputs if output.get("name") == "stdout")
        wanted = expected[cell.metadata["snippet"]]["output"]
        assert mask_measured(printed) == wanted, (
            f"{snippet.path} in the notebook:\n"
            f"{versions.diff(wanted, mask_measured(printed), 'python <path>', 'the notebook')}"
        )
