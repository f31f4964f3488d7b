"""The same mkdocs.yml and pages build with Zensical, Material's successor (Material for MkDocs
reaches end of life in May 2027), with the same runner and cache, and its pages show every
snippet's output, as `python <snippet>` prints it.

The build starts from the cache the site test's MkDocs build filled, less one entry: Zensical
reads the others from the cache, and runs that snippet with the project's runner, so each of
the two is shown to work there without running every snippet a third time.

Every question page shows the verdict and the predictions' right choices that the MkDocs build
shows, and the home page the same table of questions: the page transform runs there as a
Markdown extension (compression_answers.zensical_pages). What does not carry over yet is listed
in the README ("Building with Zensical")."""

import json
import shutil
import subprocess
import sys

import pytest
from bs4 import BeautifulSoup
from snippet_outputs import ROOT, UPDATE_FLAG, build_environment
from test_site import INCLUSIONS, pages_problems

from compression_answers import page_rules, settings

RUNS_HERE = "snippets/index/environment.py"  # the cheapest snippet: Zensical runs it itself
# What a Zensical build reads: its configuration, the pages and what they include.
BUILD_INPUTS = [
    "mkdocs.yml",
    "overrides",
    "docs",
    "snippets",
    "benchmarks/build_speed.txt",
    "pyproject.toml",
    "tests/recorded",
]


def entries(cache):
    """Each cache entry's snippet and modification time, by file name."""
    return {
        entry.name: (json.loads(entry.read_text())["snippet"], entry.stat().st_mtime_ns)
        for entry in cache.glob("*.json")
    }


def test_zensical_builds_the_pages_with_their_executed_outputs(
    tmp_path, subtests, pytestconfig, standalone, request
):
    if pytestconfig.getoption(UPDATE_FLAG):
        pytest.skip(
            "recordings are being rewritten: run the tests again to check the Zensical build against them"
        )
    for name in BUILD_INPUTS:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if (ROOT / name).is_dir() else shutil.copy)(ROOT / name, tmp_path / name)
    mkdocs_site = request.getfixturevalue("built_site")  # it leaves exactly the entries it used
    cache = tmp_path / ".cache/executed-snippets"
    cache.mkdir(parents=True)
    # With SNIPPET_CACHE=off the site's build used no cache, and a checkout's .cache/ holds
    # another run's entries: nothing is copied, and every snippet runs here.
    if settings.read().cache and (ROOT / ".cache/executed-snippets").is_dir():
        shutil.copytree(ROOT / ".cache/executed-snippets", cache, dirs_exist_ok=True)
    for name, (snippet, _) in entries(cache).items():
        if snippet == RUNS_HERE:
            (cache / name).unlink()
    before = entries(cache)
    # Zensical runs no MkDocs plugin: the versions page is written first, as the README says.
    subprocess.run([sys.executable, "-m", "compression_answers.versions"], cwd=tmp_path, check=True)
    done = subprocess.run(
        [sys.executable, "-m", "zensical", "build", "--strict", "--config-file", "mkdocs.yml"],
        cwd=tmp_path,
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
        env={
            **build_environment(),
            "SNIPPET_CACHE": "on",
        },  # the site build's, whose cache it reads
    )
    assert done.returncode == 0, done.stdout + done.stderr
    after = entries(cache)
    included = {inclusion.snippet.path.as_posix() for inclusion in INCLUSIONS}
    with subtests.test(
        check="the project's runner ran the snippets the cache lacked, and only them"
    ):
        written = {
            snippet
            for name, (snippet, mtime) in after.items()
            if before.get(name, (0, 0))[1] != mtime
        }
        assert RUNS_HERE in written
        assert written == included - {snippet for snippet, _ in before.values()}
    with subtests.test(check="every executed block went through the project's cache"):
        assert {snippet for snippet, _ in after.values()} == included
    pages_problems(tmp_path / "site", subtests, standalone)
    for page in QUESTION_PAGES:
        with subtests.test(check="the verdict and predictions the runs decide", page=page):
            zensical = decided(tmp_path / "site", page)
            assert zensical["verdict"], "no verdict"
            assert zensical["right choices"], "no predictions"
            assert zensical == decided(mkdocs_site, page), "not what the MkDocs build shows"
    with subtests.test(check="the home page's table of questions and their verdicts"):
        assert home_table(tmp_path / "site") == home_table(mkdocs_site)
        assert len(home_table(tmp_path / "site")) == len(QUESTION_PAGES)


QUESTION_PAGES = sorted(
    page.relative_to(ROOT / "docs").as_posix()
    for page in (ROOT / "docs").rglob("*.md")
    if page_rules.is_question_page(page.relative_to(ROOT / "docs").as_posix())
)


def decided(site, page: str) -> dict:
    """What a built question page shows that its runs decide: the verdict's title and the run's
    answer under it, and each prediction's right choice."""
    html = (site / page.removesuffix(".md") / "index.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")
    heading = soup.find("h2", id="verdict")
    verdict = heading.find_next_sibling(class_="admonition") if heading else None
    return {
        "verdict": verdict.select_one(".admonition-title").get_text(strip=True)
        if verdict
        else None,
        "answer": verdict.find("strong").get_text(strip=True)
        if verdict and verdict.find("strong")
        else None,
        "right choices": [
            label.get_text(strip=True)
            for form in soup.select("form.prediction")
            for choice in form.select("input[data-right]")
            for label in form.select(f'label[for="{choice["id"]}"]')
        ],
        "raw quiz markup left": "<quiz" in html,
    }


def home_table(site) -> list[list[str]]:
    """The home page's answers table: each question, its short answer and its verdict."""
    soup = BeautifulSoup((site / "index.html").read_text(encoding="utf-8"), "html.parser")
    rows = [
        [cell.get_text(" ", strip=True) for cell in row.find_all("td")]
        for table in soup.find_all("table")
        for row in table.find_all("tr")
    ]
    return [row for row in rows if len(row) == 3]
