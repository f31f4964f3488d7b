"""The built site shows, for every snippet on every page, its current source and exactly what
`python <snippet>` prints in this run (test_snippets.py compares that with the recording)."""

import functools
import json
import re
from html import escape
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup, SoupStrainer
from snippet_outputs import (
    DOCS,
    PUBLISHED_AT,
    ROOT,
    UPDATE_FLAG,
    Inclusion,
    Snippet,
    all_inclusions,
    mask_measured,
    site_file,
)

from compression_answers import versions
from compression_answers.fence import EXCEPTION_NAME
from compression_answers.notebooks import (
    notebook_download,
    notebook_for,
    notebook_name,
    question_pages,
)
from compression_answers.page_rules import front_matter

INCLUSIONS = all_inclusions()


def built_page(site, inclusion: Inclusion) -> str:
    return (site / site_file(inclusion.page).dest_uri).read_text(encoding="utf-8")


@functools.lru_cache(maxsize=4)
def parsed(html: str) -> BeautifulSoup:
    """A page's tree, parsed once for all the snippets it shows (only read, never changed)."""
    return BeautifulSoup(html, "html.parser")


def problem_on_page(html: str, inclusion: Inclusion, expected: str) -> str | None:
    """What is wrong with how the built page shows this snippet (`expected`: what it prints), or None."""
    snippet = inclusion.snippet
    title = parsed(html).find("span", class_="filename", string=str(snippet.path))
    if title is None:
        return f"{inclusion.page} shows no source block titled {snippet.path}"
    source_block = title.find_parent("div", class_="highlight")
    if source_block.code.get_text().strip("\n") != snippet.path.read_text(encoding="utf-8").strip(
        "\n"
    ):
        return f"{inclusion.page} shows another source than {snippet.path}"
    if inclusion.html:
        if expected.strip() not in html:
            return f"{inclusion.page} does not show the figure `python {snippet.path}` draws"
        return None
    collapsed = source_block.find_parent("details", class_="snippet-source")
    if collapsed is None or collapsed.get("open") is not None:
        return f"{inclusion.page} shows the source of {snippet.path} open, not collapsed under its result"
    if str(snippet.path) not in collapsed.summary.get_text():
        return f"{inclusion.page} does not name {snippet.path} where its source is collapsed"
    output_block = collapsed.find_previous_sibling()
    if output_block is None or "highlight" not in output_block.get("class", []):
        return f"{inclusion.page} shows no output block before the source of {snippet.path}"
    shown = mask_measured(output_block.code.get_text())
    if shown.strip("\n") != expected.strip("\n"):
        return (
            f"{inclusion.page} shows something else than `python {snippet.path}` prints:\n"
            f"{versions.diff(expected, shown, 'python <path>', 'the page')}"
        )
    return None


# A tree of the fetching tags alone: a third of the time of the whole page's.
FETCHING = SoupStrainer(["script", "link", "img", "iframe"])


def outside_requests(site) -> list[str]:
    """Resources the built site would fetch from another host: the site must work offline."""
    found = []
    for html in sorted(site.rglob("*.html")):
        soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser", parse_only=FETCHING)
        for tag, attribute in [
            ("script", "src"),
            ("link", "href"),
            ("img", "src"),
            ("iframe", "src"),
        ]:
            for element in soup.find_all(tag, attrs={attribute: re.compile(r"^(https?:)?//")}):
                if tag == "link" and not {"stylesheet", "preload", "icon"} & set(
                    element.get("rel", [])
                ):
                    continue
                found.append(f"{html.relative_to(site)}: <{tag} {attribute}={element[attribute]}>")
    for css in sorted(site.rglob("*.css")):
        for url in re.findall(
            r"""(?:@import\s*|url\(\s*)["']?((?:https?:)?//[^"')\s]+)""",
            css.read_text(encoding="utf-8"),
        ):
            found.append(f"{css.relative_to(site)}: {url}")
    return found


def test_the_site_builds_strict(request, pytestconfig):
    # The one report of a failed build: the tests that read the site skip (see conftest.built_site).
    if pytestconfig.getoption(UPDATE_FLAG):
        pytest.skip(
            "recordings are being rewritten: run the tests again to build the site with them"
        )
    outcome = request.getfixturevalue("built_site_outcome")
    assert outcome["returncode"] == 0, f"mkdocs build --strict failed:\n{outcome['log']}"


def pages_problems(site, subtests, standalone) -> None:
    """Each executed include shows what `python <snippet>` printed (a snippet that raised is
    test_snippets' to report)."""
    for inclusion in INCLUSIONS:
        outcome = standalone(inclusion.snippet)
        if "output" not in outcome:
            continue
        with subtests.test(page=str(inclusion.page), snippet=inclusion.snippet.key):
            problem = problem_on_page(built_page(site, inclusion), inclusion, outcome["output"])
            if problem:
                pytest.fail(problem, pytrace=False)


def stored_outputs(notebook: nbformat.NotebookNode) -> dict[str, str]:
    """What the build stored in a notebook, by snippet: its printed text, or the figure it draws."""
    found = {}
    for cell in notebook.cells:
        if "snippet" in cell.metadata and not cell.metadata.get("figure"):
            found[cell.metadata["snippet"]] = "".join(
                o.text for o in cell.outputs if o.get("name") == "stdout"
            )
        elif "draws" in cell.metadata:
            found[cell.metadata["draws"]] = "".join(
                o.data["text/html"] for o in cell.outputs if "data" in o
            )
    return found


def notebook_problem(site, page, standalone) -> str | None:
    """The page's notebook page, its file, its stored outputs and the page's links to them."""
    relative = page.relative_to(DOCS)
    # mkdocs-jupyter serves notebooks/<slug>.ipynb where MkDocs would serve notebooks/<slug>.md
    rendered = site / site_file(Path(notebook_name(page)).with_suffix(".md")).dest_uri
    if not rendered.is_file():
        return f"the site has no page for {notebook_name(page)} (mkdocs-jupyter renders it)"
    download = site / notebook_download(page)
    if not download.is_file():
        return f"the site has no {notebook_download(page)} to download"
    notebook = nbformat.reads(download.read_text(encoding="utf-8"), as_version=4)
    nbformat.validate(notebook)
    expected = notebook_for(page, ROOT)
    if [c.source for c in notebook.cells[1:]] != [c.source for c in expected.cells[1:]]:
        return f"{notebook_download(page)} holds other cells than the snippets of {relative}"
    introduction = notebook.cells[0].source
    question_url = SITE_URL + site_file(relative).url.removeprefix("./")
    built = versions.describe(versions.environment())  # the date may have turned since the build
    if f"<{question_url}>" not in introduction or built not in introduction:
        return f"{notebook_download(page)} does not link {question_url} and name its build first"
    for path, stored in stored_outputs(notebook).items():
        outcome = standalone(Snippet(Path(path)))
        if "output" in outcome and mask_measured(stored).strip() != outcome["output"].strip():
            return f"{notebook_download(page)} stores another output for {path} than `python {path}` prints"
    html = (site / site_file(relative).dest_uri).read_text(encoding="utf-8")
    for link in (
        f'href="../../{Path(notebook_name(page)).with_suffix("")}/"',
        f'href="../../{notebook_download(page)}"',
    ):
        if link not in html:
            return f"{relative} does not link its notebook ({link})"
    return None


def test_built_pages_show_what_the_snippets_print(built_site, subtests, pytestconfig, standalone):
    if pytestconfig.getoption(UPDATE_FLAG):
        pytest.skip(
            "recordings are being rewritten: run the tests again to check the site against them"
        )
    assert INCLUSIONS, "no page includes an executed snippet"
    site = built_site
    with subtests.test(check="no request to another host"):
        assert outside_requests(site) == []
    for page in question_pages(DOCS):
        with subtests.test(notebook=notebook_name(page)):
            problem = notebook_problem(site, page, standalone)
            if problem:
                pytest.fail(problem, pytrace=False)
    pages_problems(site, subtests, standalone)


def test_every_question_page_leads_on_and_names_the_build_its_verdict_came_from(
    built_site, subtests
):
    built = f"Decided by this build's runs: {versions.describe(versions.environment())}, on "
    for page in question_pages(DOCS):
        html = (built_site / site_file(page.relative_to(DOCS)).dest_uri).read_text(encoding="utf-8")
        soup = BeautifulSoup(html, "html.parser")
        with subtests.test(page=page.name):
            assert built in soup.get_text(" "), "the verdict does not name the torch and the date"
            assert soup.select_one("a.md-footer__link--prev, a.md-footer__link--next"), (
                "no previous or next page at the end"
            )
            sidebar = soup.select_one("nav.md-nav--primary")
            assert "Notebook:" not in sidebar.get_text(" "), (
                "the notebooks are listed in the sidebar"
            )


SITE_URL = f"http://127.0.0.1:8000{PUBLISHED_AT}"
LINKED = {"a": "href", "link": "href", "script": "src", "img": "src", "source": "src"}


def test_served_under_a_subpath_no_link_or_asset_is_broken(built_site):
    """The site built with a site_url under a subpath and served there, as GitHub Pages serves a
    project site: every link and asset of every page, the 404 page's included, answers 200 and
    stays under the subpath."""
    from urllib.error import HTTPError
    from urllib.parse import urldefrag, urljoin, urlsplit
    from urllib.request import urlopen

    from compression_answers import site_server

    with site_server.served(built_site, PUBLISHED_AT) as base:
        targets: dict[str, str] = {}  # url -> the first page linking it
        for html in sorted(built_site.rglob("*.html")):
            page_url = base + html.relative_to(built_site).as_posix().removesuffix("index.html")
            soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
            for tag, attribute in LINKED.items():
                for element in soup.find_all(tag):
                    reference = element.get(attribute)
                    if not reference or reference.startswith(("mailto:", "data:", "javascript:")):
                        continue
                    if element.get("rel") == ["canonical"] or urlsplit(reference).scheme:
                        continue  # another host's, or the published address (checked below)
                    url = urldefrag(urljoin(page_url, reference))[0]
                    targets.setdefault(url, html.relative_to(built_site).as_posix())
        broken = []
        for url, linked_from in sorted(targets.items()):
            if not urlsplit(url).path.startswith(PUBLISHED_AT):
                broken.append(f"{linked_from}: {url} leaves the subpath")
                continue
            try:
                with urlopen(url) as response:  # noqa: S310 - our own local server
                    response.read()
            except HTTPError as error:
                broken.append(f"{linked_from}: {url} answers {error.code}")
    assert len(targets) > 5, "the crawl found almost nothing"
    assert broken == []


def test_every_page_has_its_canonical_address_and_the_sitemap_lists_them(built_site):
    sitemap = (built_site / "sitemap.xml").read_text(encoding="utf-8")
    listed = set(re.findall(r"<loc>([^<]+)</loc>", sitemap))
    pages = [p for p in built_site.rglob("index.html") if "assets" not in p.parts]
    assert pages
    for html in pages:
        address = SITE_URL + html.parent.relative_to(built_site).as_posix() + "/"
        address = address.replace(f"{PUBLISHED_AT}./", PUBLISHED_AT)
        soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
        canonical = soup.find("link", rel="canonical")
        assert canonical is not None and canonical["href"] == address, html
        assert address in listed, f"{address} is not in sitemap.xml"
        assert soup.find("meta", property="og:url")["content"] == address


def test_a_question_pages_description_and_preview_are_its_short_answer(built_site):
    for page in question_pages(DOCS):
        short = front_matter(page.read_text(encoding="utf-8"))[1]["short_answer"]
        html = built_site / site_file(page.relative_to(DOCS)).dest_uri
        soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
        expected = short.replace("`", "").replace("*", "").strip()
        assert soup.find("meta", attrs={"name": "description"})["content"] == expected, page
        assert soup.find("meta", property="og:description")["content"] == expected, page
        assert soup.find("meta", property="og:title")["content"].endswith(
            "Compression answers, executed"
        )


def test_the_search_leaves_outputs_out_but_finds_the_exceptions_they_print(built_site):
    """What the search finds and previews (search_index.json, written by Material's plugin) holds
    no snippet's output, a table of numbers being no way to find a page, but each printed line
    that names an exception or a warning: a page is found by the error it shows."""
    index = json.loads((built_site / "search/search_index.json").read_text(encoding="utf-8"))
    outputs = 0
    for page in sorted(DOCS.rglob("*.md")):
        url = site_file(page.relative_to(DOCS)).url.removeprefix("./")
        text = "".join(d["text"] for d in index["docs"] if d["location"].split("#")[0] == url)
        html = (built_site / site_file(page.relative_to(DOCS)).dest_uri).read_text("utf-8")
        for block in BeautifulSoup(html, "html.parser").select(".snippet-run > div.highlight"):
            outputs += 1
            lines = block.code.get_text().strip("\n").split("\n")
            first = "<pre><code>" + escape(lines[0], quote=False)
            assert first not in text, f"{page.name}: the search indexes the output {lines[0]!r}"
            for line in lines:
                if EXCEPTION_NAME.search(line):
                    assert escape(line, quote=False) in text, f"{page.name}: {line!r} not found"
    assert outputs, "no output found on any page"
