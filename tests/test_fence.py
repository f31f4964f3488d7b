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
