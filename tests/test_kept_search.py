"""A page's search entries under `mkdocs serve` are handed back while the page is unchanged, and
parsed again when anything they are made from changes (kept_search.py, in-process)."""

from types import SimpleNamespace

from compression_answers import kept_search
from compression_answers.kept_search import KeptSearch


class Index:
    """Material's search index as kept_search uses it: entries, and a parse that appends them."""

    def __init__(self) -> None:
        self.entries: list[dict] = []
        self.calls = 0

    def add_entry_from_context(self, page) -> None:
        self.calls += 1
        for section in page.content.split("<h2>"):
            self.entries.append({"location": page.url, "title": page.title, "text": section})


def page(src_uri="a.md", content="<h1>A</h1><h2>B", toc=(), url="a/", title="A", meta=None):
    return SimpleNamespace(
        file=SimpleNamespace(src_uri=src_uri),
        content=content,
        toc=list(toc),
        url=url,
        title=title,
        meta=meta or {},
    )


def entries_of_builds(*builds) -> list[tuple[list[dict], int, list[str]]]:
    """Each build: a new index, the kept entries attached, its pages added in order."""
    kept = KeptSearch()
    made = []
    for pages in builds:
        index = Index()
        kept.attach(index)
        for each in pages:
            index.add_entry_from_context(each)
        made.append((index.entries, index.calls, list(kept.parsed)))
    return made


def test_unchanged_pages_are_not_parsed_again_and_the_index_is_the_same():
    pages = [page(), page("b.md", url="b/", title="B")]
    (first, first_calls, _), (again, calls, parsed) = entries_of_builds(pages, pages)
    assert first_calls == 2 and calls == 0 and parsed == []
    assert again == first
    again[0]["text"] = "changed by a later plugin"
    (_, _, _), (third, _, _), (fourth, _, _) = entries_of_builds(pages, pages, pages)
    assert third == fourth == first  # a kept entry is a copy: changing one changes no later build


def test_a_page_is_parsed_again_when_anything_its_entries_are_made_from_changes():
    toc_item = SimpleNamespace(id="b", url="#b", title="B", level=2, children=[])
    moved = SimpleNamespace(id="b", url="#b-1", title="B", level=2, children=[])
    for changed in (
        page(content="<h1>A</h1><h2>C"),
        page(url="a-moved/"),
        page(title="Another"),
        page(meta={"search": {"exclude": True}}),
        page(toc=[moved]),
    ):
        before = page(toc=[toc_item]) if changed.toc else page()
        (_, _, _), (entries, calls, parsed) = entries_of_builds([before], [changed])
        assert calls == 1 and parsed == ["a.md"], changed
        assert entries == entries_of_builds([changed])[0][0]


def test_only_an_index_shaped_as_materials_is_attached_to():
    index = Index()
    plugins = [
        SimpleNamespace(),
        SimpleNamespace(search_index=object()),
        SimpleNamespace(search_index=index),
    ]
    assert kept_search.search_index(plugins) is index
    assert kept_search.search_index(plugins[:2]) is None
