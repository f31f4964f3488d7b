"""A page's render under `mkdocs serve` is handed back while nothing it was rendered from has
changed: a prose edit renders the edited page only, and the site is the one a clean build makes.
The rules in-process (rendered_pages.py), then rebuilds of the small copy of the project."""

import logging
import re
import threading
from types import SimpleNamespace

from project_copy import PAGE, SNIPPET, build, plant, serve
from test_shards import same_site

from compression_answers import rendered_pages
from compression_answers.rendered_pages import Recording, RenderedPages


def rendered_page(content: str = "<p>text</p>"):
    return SimpleNamespace(
        content=content,
        toc=[],
        title="A page",
        present_anchor_ids={"a"},
        links_to_anchors=None,
    )


def kept_after(recording_body, outputs=None, key="key") -> tuple[RenderedPages, bool]:
    kept = RenderedPages()
    with Recording("page.md", key, 0) as recording:
        recording_body()
    return kept, kept.keep(recording, rendered_page(), outputs or {})


def test_a_render_is_handed_back_while_its_key_files_and_outputs_are_unchanged(tmp_path):
    included = tmp_path / "included.txt"
    included.write_text("one")
    output = {("snippets/a/b.py", 0, None): "42\n"}
    kept, stored = kept_after(included.read_text, output)
    assert stored
    now = dict(output)
    assert kept.reusable("page.md", "key", now.get).content == "<p>text</p>"
    assert kept.reusable("page.md", "other key", now.get) is None
    assert kept.reusable("other.md", "key", now.get) is None

    now[("snippets/a/b.py", 0, None)] = "43\n"
    assert kept.reusable("page.md", "key", now.get) is None, "an output changed"
    now[("snippets/a/b.py", 0, None)] = None
    assert kept.reusable("page.md", "key", now.get) is None, "the snippet fails now"

    included.write_text("two, longer")
    assert kept.reusable("page.md", "key", output.get) is None, "a file it read changed"
    included.unlink()
    assert kept.reusable("page.md", "key", output.get) is None, "a file it read is gone"


def test_a_render_that_warned_is_not_kept():
    kept, stored = kept_after(lambda: logging.getLogger("mkdocs.plugins.x").warning("broken"))
    assert not stored and kept.kept == {}
    kept, stored = kept_after(lambda: logging.getLogger("mkdocs.plugins.x").info("fine"))
    assert stored


def test_only_the_rendering_threads_opens_are_its_reads(tmp_path):
    mine, other = tmp_path / "mine.txt", tmp_path / "other.txt"
    mine.write_text("1")
    other.write_text("2")

    def read_both():
        mine.read_text()
        reader = threading.Thread(target=other.read_text)  # a snippet's run, say
        reader.start()
        reader.join()

    with Recording("page.md", "key", 0) as recording:
        read_both()
    assert recording.opened == {str(mine)}
    other.read_text()  # after the render
    assert recording.opened == {str(mine)}


def test_the_keys_name_the_markdown_the_page_and_the_sites_files():
    site = rendered_pages.site_key(["toc"], [("a.md", "a/"), ("b.md", "b/")])
    assert site == rendered_pages.site_key(["toc"], [("b.md", "b/"), ("a.md", "a/")])
    assert site != rendered_pages.site_key(["toc"], [("a.md", "a/")]), "a page removed"
    assert site != rendered_pages.site_key(["toc", "tables"], [("a.md", "a/"), ("b.md", "b/")])
    key = rendered_pages.page_key("# A", {"title": "A"}, "a.md", "a/", site)
    assert key != rendered_pages.page_key("# A.", {"title": "A"}, "a.md", "a/", site)
    assert key != rendered_pages.page_key("# A", {"title": "B"}, "a.md", "a/", site)
    assert key != rendered_pages.page_key("# A", {"title": "A"}, "b.md", "b/", site)
    assert key != rendered_pages.page_key("# A", {"title": "A"}, "a.md", "a/", "another site")


def pages_line(log: str) -> tuple[int, int, int]:
    """Pages rendered, pages as before, and pages indexed for search again."""
    found = re.findall(r"pages: (\d+) rendered, (\d+) as before, (\d+) indexed for search", log)
    assert found, log
    return tuple(int(count) for count in found[-1])


def test_a_prose_edit_under_serve_renders_its_page_only_and_the_site_equals_a_clean_build(
    project, tmp_path
):
    page = (project / PAGE).read_text()
    edited = page.replace("Multiply.", "Multiply the two.")
    snippet = (project / SNIPPET).read_text()
    builds = serve(
        project,
        [
            lambda: plant(project, PAGE, edited),  # prose: this page only
            lambda: None,  # nothing changed
            # its snippet: the page shows the new code and output
            lambda: plant(project, SNIPPET, snippet.replace("print(answer)", "print(answer, 0)")),
        ],
    )
    assert [built.returncode for built in builds] == [0, 0, 0, 0], builds[-1].log
    first, prose, unchanged, code = (pages_line(built.log) for built in builds)
    assert first[1] == 0 and first[0] > 1 and first[2] > 1
    assert prose == (1, first[0] - 1, 1)  # the hint is not in the notebook
    assert unchanged == (0, first[0], 0)
    # The page, and its notebook's page (mkdocs-jupyter renders it), which holds the new output.
    assert code == (1, first[0] - 1, 2)
    assert "42 0" in (project / "site/checks/sample/index.html").read_text()

    (project / "site").rename(tmp_path / "served")
    clean = build(project, SNIPPET_CACHE="on")
    assert clean.returncode == 0, clean.log
    assert "pages:" not in clean.log, "a build renders every page"
    assert same_site(tmp_path / "served", project / "site") == []


def test_serve_rebuilds_through_a_failing_snippet_and_a_page_problem_that_fail_a_build(project):
    snippet = (project / SNIPPET).read_text()
    page = (project / PAGE).read_text()
    builds = serve(
        project,
        [
            lambda: plant(project, SNIPPET, snippet + "raise ValueError('not today')\n"),
            lambda: plant(project, PAGE, page.replace("## The question", "## A question")),
        ],
    )
    assert [built.returncode for built in builds] == [0, 0, 0], builds[-1].log
    assert "WARNING" not in builds[0].log, builds[0].log
    raised, broken = builds[1:]
    assert "snippets/sample/count.py" in raised.log and "ValueError" in raised.log, raised.log
    assert "## The question" in broken.log, broken.log
    # The author sees the traceback where the output would be, and the site is still written.
    shown = (project / "site/checks/sample/index.html").read_text()
    assert "ValueError: not today" in shown and "A question" in shown

    strict = build(project, SNIPPET_CACHE="on")
    assert strict.returncode == 1, strict.log
    assert "ValueError" in strict.log and "## The question" in strict.log, strict.log
