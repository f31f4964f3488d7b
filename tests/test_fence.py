"""The executed block's rules, in-process: a block's markdown in, the fence's refusal out.

The blocks go through the Markdown extensions mkdocs.yml configures, so the fence sees them as a
build does; tests/test_bad_input.py keeps one whole build per way of failing, which shows the
refusal stops the build and names the page and line."""

import markdown
import pytest
from mkdocs.config import load_config
from pymdownx.superfences import SuperFencesException
from snippet_outputs import ROOT

REAL = "snippets/index/environment.py"  # a real file, so only the block's own fault is refused
INLINE = "print('claim: 6 x 7 is 42: True')"  # code that would pass under a real snippet's title


@pytest.fixture(scope="module")
def render():
    config = load_config(str(ROOT / "mkdocs.yml"))

    def to_html(text: str) -> str:
        md = markdown.Markdown(
            extensions=config["markdown_extensions"], extension_configs=config["mdx_configs"]
        )
        return md.convert(text)

    return to_html


@pytest.fixture(autouse=True)
def _in_the_project(monkeypatch):
    monkeypatch.chdir(ROOT)  # pymdownx.snippets and the runner read paths from the project


@pytest.mark.parametrize(
    "block",
    [
        f'```python exec="on"\n{INLINE}\n```',
        f'```python exec="yes" result="text" title="{REAL}"\n{INLINE}\n```',
        f"```python exec='on' result='text' title='{REAL}'\n{INLINE}\n```",
        f'~~~python exec="on" result="text" title="{REAL}"\n{INLINE}\n~~~',
        f'!!! note\n\n    ```python exec="on" result="text" title="{REAL}"\n    {INLINE}\n    ```',
    ],
    ids=["no title", "exec=yes", "single quotes", "tilde fence", "indented in an admonition"],
)
def test_code_typed_into_a_page_is_refused_whatever_its_form(render, block):
    with pytest.raises(SuperFencesException) as refused:
        render(block)
    assert "holds other code than the file" in str(refused.value) or (
        'an executed block needs title="snippets/<slug>/<name>.py"' in str(refused.value)
    ), refused.value


@pytest.mark.parametrize(
    "block, message",
    [
        (
            '```pycon exec="on"\n>>> print(1)\n```',
            "an executed 'pycon' block: only Python snippets execute",
        ),
        (
            '```console exec="on"\n$ echo 1\n```',
            "an executed 'console' block: only Python snippets execute",
        ),
        (
            f'```python exec="on" session="a" title="{REAL}"\n--8<-- "{REAL}"\n```',
            "option session is not supported here",
        ),
        (
            '```python exec="on" title="snippets/index/missing.py"\nprint(1)\n```',
            "snippets/index/missing.py does not exist",
        ),
    ],
    ids=["pycon", "console", "session", "missing file"],
)
def test_an_executed_block_this_site_does_not_run_is_refused_by_name(render, block, message):
    with pytest.raises(SuperFencesException, match=message):
        render(block)


def test_a_plain_code_block_is_only_highlighted(render):
    html = render(f"```python\n{INLINE}\n```")
    assert "highlight" in html and "claim" in html


def text_result(*lines: str) -> str:
    return (
        '<div class="highlight"><pre><span></span><code>' + "\n".join(lines) + "</code></pre></div>"
    )


def test_a_printed_tables_rows_keep_their_columns_and_other_lines_wrap():
    from compression_answers.fence import ROW, table_rows_kept

    kept = table_rows_kept(
        text_result("model   accuracy", "fp32    93.89%", "claim: it holds, as printed: True")
    )
    assert kept.count(ROW) == 2
    assert f"{ROW}fp32    93.89%</span>" in kept
    assert "\nclaim: it holds, as printed: True</code>" in kept


def test_prose_output_and_a_lone_gap_are_not_a_table():
    from compression_answers.fence import table_rows_kept

    prose = text_result("one line of prose", "another, with one  double space")
    assert table_rows_kept(prose) == prose
    figure = '<svg class="plot"><text>a  b</text><text>c  d</text></svg>'
    assert table_rows_kept(figure) == figure


def test_rows_are_marked_in_markdown_execs_markup_without_being_escaped():
    from markupsafe import Markup

    from compression_answers.fence import ROW, table_rows_kept

    # markdown-exec hands the fence Markup; the test builds the same from a fixed string.
    kept = table_rows_kept(Markup(text_result("a    b", "c    d")))  # noqa: S704
    assert kept.count(ROW) == 2 and "&lt;span" not in kept


def indexed(html: str) -> str:
    """What Material's search plugin indexes of this markup: its parser's text, as the build's
    search_index.json holds it."""
    from material.plugins.search.plugin import Parser

    parser = Parser()
    parser.feed(f'<h2 id="evidence">The evidence</h2>\n{html}\n<p>After the output.</p>')
    parser.close()
    return "".join(text for section in parser.data for text in section.text)


def test_search_leaves_an_output_out_but_the_exceptions_it_names():
    from compression_answers.fence import out_of_search, table_rows_kept

    output = text_result(
        "name=&#39;bias&#39;: TypeError: ones_like(): argument must be Tensor, not NoneType",
        "after:  parameters [&#39;weight&#39;, &#39;bias_orig&#39;]",
        "UserWarning: a warning, printed    2",
        "sparsity    dense    CSR",
        "claim: pruning a bias that is None raises ValueError: False",
    )
    marked = out_of_search(table_rows_kept(output))
    index = indexed(marked)
    assert "TypeError: ones_like()" in index and "name='bias'" in index
    assert "UserWarning: a warning" in index, "a table row that names a warning is searchable"
    assert "raises ValueError: False" in index, "a line that names an exception is searchable"
    assert "bias_orig" not in index and "sparsity" not in index, "the output is indexed"
    assert "After the output." in index, "the search stops indexing after the output"
    assert "snippet-row" not in marked.split("</p>")[0], "a row's mark is kept in the paragraph"
    # The block itself is unchanged for the reader: the same lines, rows and markup.
    assert marked.endswith(table_rows_kept(output).removeprefix('<div class="highlight">'))


def test_an_output_that_names_no_exception_leaves_nothing_to_search():
    from compression_answers.fence import out_of_search

    output = text_result("digits: 1078 training, 359 validation", "accuracy 93.89%")
    marked = out_of_search(output)
    nothing = "<p>After the output.</p>"
    assert "<p " not in marked and indexed(marked).strip() == nothing
    figure = '<svg class="plot" role="img"><g><text>0.5</text></g></svg>'
    wrapped = out_of_search(figure)
    assert figure in wrapped and indexed(wrapped).strip() == nothing
    assert out_of_search("") == ""
