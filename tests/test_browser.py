"""The built site, opened in a real browser: Debian's Chromium, driven by Playwright, headless.

Each page is loaded once and then looked at in both colour schemes (switched by the toggle, as a
reader does; this one prefers reduced motion) at a laptop's and a phone's width: no console
error and no request to any other host; images and figures show; code blocks have a copy
button, and no output's text lies under it; axe-core finds no serious or critical accessibility
violation (light at a laptop's width, dark at a phone's); no output or table needs a sideways
scroll; no heading or table breaks a word that would fit on a line; figure text is readable at
both widths, and a figure's legend lies clear of its curves; a question page transfers at most
300 KB on first load, its hint and usual answer stay closed until clicked, its predictions work
(in the same two looks as axe-core) and their buttons are of one width, its verdict is in the
prose's type size, and its notebook page opens. The home page's hidden answers, the search, the
404 page and a stored prediction have tests of their own. Every test shares its worker's one tab
and starts as a first visit would (SiteContext). axe-core's verdict on a look is kept for the
next test run while everything it reads of the page is the same (LOOK, serious_violations).
Under CI, screenshots of every page go to artifacts/screenshots/.
"""

import json
import os
from pathlib import Path
from urllib.parse import urlsplit

import node_tools
import pytest
from outcome_memo import OutcomeMemo
from playwright.sync_api import Error as PlaywrightError
from snippet_outputs import DOCS, PUBLISHED_AT, ROOT, site_file

from compression_answers import site_server
from compression_answers.notebooks import notebook_name, question_pages
from compression_answers.runner import file_hash

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",  # else Chromium calls home, and this machine refuses
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # One local site: the GPU process, per-site processes and extensions only cost CPU here
    # (a fifth of the browser tests' CPU time). Site isolation is turned off by its own switch:
    # Chromium keeps only the last --disable-features, and Playwright passes its own list.
    "--in-process-gpu",
    "--disable-site-isolation-trials",
    "--disable-extensions",
]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
# For a reviewer of a CI run; locally the author has the browser, and they cost a fifth of the time.
TAKE_SCREENSHOTS = bool(os.environ.get("CI"))
MAX_PAGE_KILOBYTES = 300
# Every page of the site and every question page, as the URL path MkDocs gives it.
PAGES = sorted(
    site_file(page.relative_to(DOCS)).url.removeprefix("./") for page in DOCS.rglob("*.md")
)
QUESTION_PAGES = [site_file(page.relative_to(DOCS)).url for page in question_pages(DOCS)]
# Each question page's notebook, as mkdocs-jupyter serves it: published too, so looked at too.
NOTEBOOK_PAGES = {
    site_file(Path(notebook_name(page)).with_suffix(".md")).url: site_file(
        page.relative_to(DOCS)
    ).url
    for page in question_pages(DOCS)
}
PAGES = sorted([*PAGES, *NOTEBOOK_PAGES])
SEARCH_READY = """() => document.querySelector('.md-search-result__meta')?.textContent.trim()
  !== 'Initializing search'"""
SCHEMES = {"light": "default", "dark": "slate"}  # browser preference -> Material's colour scheme


@pytest.fixture(scope="session")
def base_url(built_site):
    with site_server.served(built_site, PUBLISHED_AT) as url:
        yield url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright launches Debian's Chromium (Playwright's own download fails here)."""
    if not CHROMIUM.exists():
        node_tools.missing("Debian's chromium: apt-get install chromium")
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "headless": True,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def axe_script() -> Path:
    return node_tools.installed("axe-core/axe.min.js")


class Visit:
    """What one test's page logged, fetched and weighed; `page` is the worker's tab."""

    def __init__(self, page):
        self.page = page
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.bytes = 0


class SiteContext:
    """The worker's one browser context and its one tab, shared by its browser tests: a context
    per test costs Chromium a renderer process, twice the CPU of a page load, and a tab per test
    a third of one. Each test starts as a first visit would: from a blank tab at a laptop's width,
    with no storage (no colour scheme or prediction kept from another test) and the HTTP cache off
    (any route turns it off). Under `--tracing`, each test records its own chunk of the trace,
    kept on failure as pytest-playwright keeps a context's."""

    def __init__(self, browser, context_args: dict, base_url: str, tracing: str):
        # Reduced motion: Material then turns its transitions off, and a switched scheme is
        # there at once instead of after a quarter second of frames that no check looks at.
        self.context = browser.new_context(
            **context_args, viewport=VIEWPORTS["laptop"], reduced_motion="reduce"
        )
        self.base_url, self.tracing = base_url, tracing
        self.visit: Visit | None = None
        self.context.route("**/*", self._route)
        self.context.on("response", self._count)
        self.tab = self.context.new_page()
        self.tab.on(
            "console", lambda message: message.type == "error" and self._error(message.text)
        )
        self.tab.on("pageerror", lambda error: self._error(str(error)))
        self.devtools = self.context.new_cdp_session(self.tab)
        if tracing != "off":
            self.context.tracing.start(screenshots=True, snapshots=True, sources=True)

    def _route(self, route):
        if route.request.url.startswith(self.base_url):
            route.continue_()
        else:
            if self.visit:
                self.visit.outside.append(route.request.url)
            route.abort()

    def _count(self, response):
        # Asking for the sizes yields to Playwright: the test may end, and the next begin, meanwhile.
        visit = self.visit
        if not visit:
            return
        try:
            sizes = response.request.sizes()  # as transferred: compressed body plus headers
        except PlaywrightError:
            if self.visit is visit:
                raise
            return  # a response to a page the next test has already navigated away from
        visit.bytes += sizes["responseBodySize"] + sizes["responseHeadersSize"]

    def _error(self, text: str) -> None:
        if self.visit:
            self.visit.errors.append(text)

    def start(self, title: str) -> None:
        self.forget()
        if self.tracing != "off":
            self.context.tracing.start_chunk(title=title)

    def forget(self) -> None:
        """Whatever the last test left: its page, its storage, its width."""
        self.visit = None
        self.tab.goto("about:blank")  # no page of the site left running to write storage again
        # "all" takes local and session storage, cookies, IndexedDB and caches alike.
        self.devtools.send(
            "Storage.clearDataForOrigin",
            {"origin": self.base_url.rstrip("/"), "storageTypes": "all"},
        )
        self.tab.set_viewport_size(VIEWPORTS["laptop"])

    def open(self, path: str, scheme: str) -> Visit:
        self.visit = Visit(self.tab)
        self.tab.emulate_media(color_scheme=scheme)
        # The search index is fetched by a worker after the load event, and the search shows
        # that it is ready only after that: the first load ends with both, so that every test
        # (and axe-core's verdict, kept by the look) finds the page settled.
        with self.context.expect_event(
            "response", lambda response: "search_index.json" in response.url
        ):
            self.tab.goto(self.base_url + path)
        self.tab.wait_for_function(SEARCH_READY, polling=50)
        self.tab.add_style_tag(content=EVERY_CELL_RENDERED)
        return self.visit

    def finish(self, failed: bool, output_path: str) -> None:
        self.visit = None
        if self.tracing == "on" or (failed and self.tracing == "retain-on-failure"):
            Path(output_path).mkdir(parents=True, exist_ok=True)
            self.context.tracing.stop_chunk(path=Path(output_path) / "trace.zip")
        elif self.tracing != "off":
            self.context.tracing.stop_chunk()


@pytest.fixture(scope="session")
def site_context(browser, browser_context_args, base_url, pytestconfig):
    shared = SiteContext(
        browser, browser_context_args, base_url, pytestconfig.getoption("--tracing")
    )
    yield shared
    shared.context.close()


@pytest.fixture
def visit(site_context, request, output_path, test_failed):
    """Opens a page of the site in the worker's tab, one page a test."""
    site_context.start(request.node.nodeid)

    def open_page(path: str, scheme: str = "light") -> Visit:
        return site_context.open(path, scheme)

    yield open_page
    site_context.finish(test_failed(), output_path)


def page_id(path: str) -> str:
    return path.strip("/").replace("/", "-") or "home"


# A notebook page renders a cell only when it comes near the screen (extra.css): the checks, the
# screenshots and axe-core look at every cell as a reader who scrolls to it sees it.
EVERY_CELL_RENDERED = ".jupyter-wrapper .jp-Cell { content-visibility: visible !important; }"
# What a reader must see without scrolling sideways: each snippet's output (the block before its
# collapsed source) and each table, with any collapsed block opened first. An output that holds
# a printed table's rows may scroll inside itself: its rows keep their columns instead.
SIDEWAYS = """() => {
  document.querySelectorAll('details').forEach(d => d.open = true);
  const blocks = document.querySelectorAll(
    '.md-content .highlight:has(+ details.snippet-source) pre > code, .md-content .md-typeset__scrollwrap');
  return [...blocks].filter(b => !b.querySelector('.snippet-row'))
    .filter(b => b.scrollWidth > b.clientWidth + 1).map(b =>
    `${b.scrollWidth - b.clientWidth} px hidden: ${b.textContent.trim().split('\\n')[0].slice(0, 60)}`);
}"""
# Each row of a printed table on one line: a row that wrapped is drawn as more than one box.
WRAPPED_ROWS = """() => [...document.querySelectorAll('.md-content .snippet-row')]
  .filter(row => row.getClientRects().length > 1).map(row => row.textContent.slice(0, 60))"""
# The smallest text of each figure, in CSS pixels as drawn: user units times the SVG's scale.
FIGURE_TEXT = """() => [...document.querySelectorAll('svg.plot')].map(svg => {
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  const sizes = [...svg.querySelectorAll('text')].map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
  return sizes.length ? Math.min(...sizes) : 0;
})"""
# The text of each snippet's output that Material's copy button (top right, over the block) lies
# on: where a row scrolls inside the block, its hidden part counts too, since it scrolls under.
COPY_BUTTON_COVERS = """() => {
  document.querySelectorAll('details').forEach(d => d.open = true);
  const overlaps = (a, b) => a.left < b.right && a.right > b.left && a.top < b.bottom && a.bottom > b.top;
  return [...document.querySelectorAll('.md-content .highlight:has(+ details.snippet-source) pre')]
    .flatMap(pre => {
      const button = pre.querySelector('.md-code__nav')?.getBoundingClientRect();
      if (!button || button.width === 0) return [];
      const walker = document.createTreeWalker(pre.querySelector('code'), NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const range = document.createRange();
        range.selectNodeContents(node);
        if ([...range.getClientRects()].some(r => r.width > 0 && overlaps(r, button)))
          return [pre.textContent.trim().split('\\n')[0].slice(0, 60)];
      }
      return [];
    });
}"""
# The widths of each prediction's buttons ("Check my prediction", "Start again"), where they differ.
UNEQUAL_BUTTONS = """() => [...document.querySelectorAll('form.prediction')].map(
  form => [...form.querySelectorAll('button')].map(b => Math.round(b.getBoundingClientRect().width)))
  .filter(widths => new Set(widths).size > 1)"""
# The verdict (the box under "## Verdict") in type of another size than the page's prose: the
# sizes of its text, and the prose's.
VERDICT_TEXT = """() => {
  const verdict = document.querySelector('.md-content h2#verdict + .admonition');
  const prose = document.querySelector('.md-content .md-typeset > p');
  if (!verdict || !prose) return null;
  const size = e => getComputedStyle(e).fontSize;
  const sizes = [...new Set([...verdict.querySelectorAll(':scope > p, :scope > ul > li')].map(size))];
  return sizes.length === 1 && sizes[0] === size(prose) ? [] : [...sizes, 'prose: ' + size(prose)];
}"""
# Words broken across two lines in a heading or a prose table's cell, where the word alone would
# fit on one line (a long name breaks between its words: compression_answers.line_breaks). A word
# is a run of letters and digits, or a CamelCase word of a name; a hyphenated one counts too.
MID_WORD_BREAKS = """() => {
  document.querySelectorAll('details').forEach(d => d.open = true);
  const column = document.querySelector('.md-content__inner')?.clientWidth ?? innerWidth;
  const found = [];
  const boxes = document.querySelectorAll(
    '.md-content :is(h1, h2, h3, h4, h5, h6), .md-content table:not([class]) :is(td, th)');
  for (const box of boxes) {
    const room = box.matches('td, th') ? column : box.clientWidth;
    const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const word of node.data.matchAll(/\\p{Lu}+(?!\\p{Ll})|\\p{Lu}?[\\p{Ll}\\p{N}]+/gu)) {
        if (word[0].length < 2) continue;
        const range = document.createRange();
        range.setStart(node, word.index);
        range.setEnd(node, word.index + word[0].length);
        const rects = [...range.getClientRects()].filter(r => r.width > 0);
        const width = rects.reduce((sum, r) => sum + r.width, 0);
        if (new Set(rects.map(r => Math.round(r.top))).size > 1 && width <= room)
          found.push(`${box.tagName}: ${word[0]} in ${node.data.trim().slice(0, 60)}`);
      }
    }
  }
  return found;
}"""
# A figure's legend over what it plots (matplotlib's SVG: the axes' curves, their markers and
# their bands, the direct children of the axes group), within the axes, where nothing is clipped:
# points along each curve and band outline, each marker's box, and a grid of points of the legend
# inside a band.
LEGEND_COVERS = """() => [...document.querySelectorAll('svg.plot')].flatMap(svg => {
  const legend = svg.querySelector('g[id^="legend"]')?.getBoundingClientRect();
  const axes = svg.querySelector('g[id^="axes"]');
  if (!legend || !axes) return [];
  const area = axes.querySelector(':scope > g[id^="patch"]').getBoundingClientRect();
  const inside = (x, y, r) => x > r.left && x < r.right && y > r.top && y < r.bottom;
  const covered = (x, y) => inside(x, y, legend) && inside(x, y, area);
  const plotted = [...axes.children].filter(g => /^line2d|PolyCollection/.test(g.id));
  return plotted.filter(group => {
    for (const path of group.querySelectorAll('path')) {
      const screen = path.getScreenCTM();
      for (let at = 0; at <= path.getTotalLength(); at += 1) {
        const point = path.getPointAtLength(at).matrixTransform(screen);
        if (covered(point.x, point.y)) return true;
      }
      if (!/PolyCollection/.test(group.id)) continue;
      for (let x = legend.left; x < legend.right; x += 2)
        for (let y = legend.top; y < legend.bottom; y += 2)
          if (covered(x, y) && path.isPointInFill(new DOMPoint(x, y).matrixTransform(screen.inverse())))
            return true;
    }
    return [...group.querySelectorAll('use')].some(marker => {
      const r = marker.getBoundingClientRect();
      return covered((r.left + r.right) / 2, (r.top + r.bottom) / 2);
    });
  }).map(group => `${svg.getAttribute('aria-label').slice(0, 40)}: ${group.id}`);
})"""
VIEWPORTS = {"laptop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
# Every scheme at every width, in the order that needs one toggle. axe-core and the predictions
# look at each scheme and each layout once (the phone's has the navigation drawer): axe costs
# 0.6 CPU-s a look, and the predictions' script depends on neither.
LOOKS = [("light", "laptop"), ("light", "phone"), ("dark", "phone"), ("dark", "laptop")]
AXE_LOOKS = [("light", "laptop"), ("dark", "phone")]


# What axe-core's verdict on a look depends on, read from the page as it stands: the document
# (its form controls' state too), every stylesheet's rules, every element's box, the viewport and
# the media the page matches, and the elements hovered, focused or active. Its SHA-256 keys the
# verdict; null where it cannot read all of that (a shadow root, a frame, a running animation).
LOOK = """async () => {
  const axeScript = document.getElementById('axe-core');
  const all = [...document.querySelectorAll('*')].filter(e => e !== axeScript);
  if (all.some(e => e.shadowRoot) || document.querySelector('iframe, frame, object, embed')
      || document.getAnimations().some(a => a.playState === 'running')) return null;
  const html = document.documentElement.outerHTML.replace(axeScript?.outerHTML ?? '', '');
  const controls = [...document.querySelectorAll('input, select, textarea')].map(
    c => [c.checked, c.value]);
  const sheets = [...document.styleSheets, ...document.adoptedStyleSheets].map(
    s => [...s.cssRules].map(r => r.cssText).join('\\n'));
  const boxes = all.map(e => {
    const r = e.getBoundingClientRect();
    return [r.x, r.y, r.width, r.height];
  });
  const media = ['(prefers-color-scheme: dark)', '(prefers-reduced-motion: reduce)',
    '(prefers-contrast: more)', '(forced-colors: active)', '(hover: hover)', '(pointer: fine)'].map(
    q => matchMedia(q).matches);
  const states = [':hover', ':focus', ':focus-visible', ':focus-within', ':active', ':target'].map(
    state => [...document.querySelectorAll(state)].map(e => all.indexOf(e)));
  const view = [innerWidth, innerHeight, devicePixelRatio, scrollX, scrollY];
  const text = JSON.stringify([html, controls, sheets, boxes, media, states, view]);
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map(b => b.toString(16).padStart(2, '0')).join('');
}"""
AXE_RUN = """async () => (await axe.run(document, {resultTypes: ['violations']})).violations.map(
  v => ({impact: v.impact, id: v.id, help: v.help,
         targets: v.nodes.slice(0, 3).map(n => n.target)}))"""


def serious_violations(page, axe_script, outcome_memo) -> list[str]:
    """What axe-core finds serious or critical on the page as it is now. Its verdict on a look is
    kept for the next test run while everything it reads stays the same (LOOK): the same axe-core
    and Chromium judging the same document, styles, boxes and state, as outcome_memo.py keeps a
    snippet's output. An edited page is a new look, and is judged again."""

    def execute() -> dict:
        if not page.evaluate("typeof axe !== 'undefined'"):
            page.add_script_tag(path=str(axe_script)).evaluate("script => script.id = 'axe-core'")
        return {"violations": page.evaluate(AXE_RUN)}

    look = page.evaluate(LOOK)
    if look is None:
        ran = execute()
    else:
        what = {
            "axe-core": file_hash(axe_script),
            "run": AXE_RUN,
            "chromium": page.context.browser.version,
            "look": look,
        }
        ran = outcome_memo.outcome(what, {}, execute)
    return [
        f"{v['impact']}: {v['id']} ({v['help']}) at {v['targets']}"
        for v in ran["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def switch_scheme(page, scheme: str) -> None:
    """The reader's way: the palette toggle in the header; then whatever still animates ends
    (Material's colour transitions are off under reduced motion), so that what is measured next
    is the scheme, not a blend of the two."""
    if page.get_attribute("body", "data-md-color-scheme") != SCHEMES[scheme]:
        page.locator("form[data-md-component=palette] label:visible").first.click()
        page.wait_for_function(
            "document.getAnimations().every(a => a.playState !== 'running')", polling=50
        )
    assert page.get_attribute("body", "data-md-color-scheme") == SCHEMES[scheme]


def predict_and_start_again(page) -> None:
    """The answer options: an arrow key moves the choice without committing it; checking shows
    what the run printed and marks its answer; starting again clears both."""
    forms = page.locator("form.prediction")
    assert forms.count() == 2, "a question page has its answer options and its verdict prediction"
    assert [forms.nth(i).locator("input[data-right]").count() for i in range(2)] == [1, 1], (
        "each prediction is keyed by exactly one of the runs' answers"
    )
    form, feedback = forms.first, forms.first.locator(".prediction-feedback")
    form.locator("input[type=radio]").first.check()
    page.keyboard.press("ArrowDown")
    assert not feedback.is_visible(), "an arrow key committed the answer"
    form.get_by_role("button", name="Check my prediction").click()
    assert "The run printed answer:" in feedback.inner_text()
    assert form.locator(".prediction-right").is_visible()
    form.get_by_role("button", name="Start again").click()
    assert not feedback.is_visible() and form.locator("input:checked").count() == 0


def hint_and_answer_stay_closed_until_clicked(page) -> None:
    """A question page opens with its hint and its usual answer closed; the hint opens alone."""
    hint, answer = page.locator("details.tip"), page.locator("details.question")
    assert hint.get_attribute("open") is None and answer.get_attribute("open") is None
    assert not hint.locator("p").first.is_visible()
    hint.locator("summary").click()
    page.wait_for_function("document.querySelector('details.tip').open")
    assert hint.locator("p").first.is_visible()
    assert answer.get_attribute("open") is None, "opening the hint opened the answer too"


@pytest.mark.parametrize("path", PAGES, ids=page_id)
def test_the_page_works_in_both_schemes_at_both_widths(
    visit, axe_script, outcome_memo, path, subtests, record_property
):
    """One load per page, then each scheme (by the toggle) at each width: no console error, no
    request to another host, images and figures show, every code block has a copy button that
    covers none of an output's text, axe-core finds nothing serious, no output or table needs a
    sideways scroll, no heading or table breaks inside a word, figure text is readable and its
    legend clear of its curves; a question page weighs at most 300 KB, its hint and usual answer
    stay closed until clicked, its predictions work in both schemes and layouts, their buttons
    are of one width, its verdict is in the prose's type size, and its notebook page opens."""
    opened = visit(path)
    page = opened.page
    if path in QUESTION_PAGES:
        with subtests.test(check=f"transfers at most {MAX_PAGE_KILOBYTES} KB"):
            record_property(
                "page weight",
                f"{path}: {opened.bytes / 1000:.0f} KB transferred on first load (gzip)",
            )
            assert opened.bytes <= MAX_PAGE_KILOBYTES * 1000, (
                f"{path} transfers {opened.bytes / 1000:.0f} KB"
            )
        with subtests.test(check="the hint and the usual answer stay closed until clicked"):
            hint_and_answer_stay_closed_until_clicked(page)
        with subtests.test(check="the decided answer is in the first screen, one click away"):
            the_answer_is_one_click_from_the_top(page)
    if path in NOTEBOOK_PAGES:
        with subtests.test(
            check="the notebook page leads back to its question and offers its file"
        ):
            header = page.locator(".notebook-header")
            assert header.locator("a[download]").get_attribute("href").endswith(".ipynb")
            back = header.get_by_role("link", name="Back to the question")
            question = NOTEBOOK_PAGES[path]
            assert back.evaluate("a => new URL(a.href).pathname") == PUBLISHED_AT + question
            assert "torch " in header.inner_text(), "the header names no torch version"
    with subtests.test(check="images and figures show"):
        broken = page.eval_on_selector_all(
            "img",
            "images => images.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)",
        )
        assert broken == [], "images that did not load"
        empty = page.eval_on_selector_all(
            "svg.plot", "plots => plots.filter(p => p.getBoundingClientRect().width === 0).length"
        )
        assert empty == 0, "figures that show nothing"
    with subtests.test(check="every code block has a copy button"):
        no_copy = page.eval_on_selector_all(
            ".md-content pre > code",
            "blocks => blocks.filter(c => !c.parentElement.querySelector('[data-md-type=copy]')).length",
        )
        assert no_copy == 0, "code blocks without a copy button"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for scheme, screen in LOOKS:
        switch_scheme(page, scheme)
        page.set_viewport_size(VIEWPORTS[screen])
        if (scheme, screen) in AXE_LOOKS:
            with subtests.test(scheme=scheme, screen=screen, check="axe-core: nothing serious"):
                assert serious_violations(page, axe_script, outcome_memo) == []
        if screen == "laptop" and TAKE_SCREENSHOTS:
            page.screenshot(path=SCREENSHOTS / f"{page_id(path)}-{scheme}.png", full_page=True)
        with subtests.test(scheme=scheme, screen=screen, check="no sideways scroll"):
            assert page.evaluate(SIDEWAYS) == []
        with subtests.test(scheme=scheme, screen=screen, check="no printed table row wraps"):
            assert page.evaluate(WRAPPED_ROWS) == []
        if scheme == "light":  # the text's size depends on the width, not on the colours
            with subtests.test(screen=screen, check="figure text is readable"):
                smallest = page.evaluate(FIGURE_TEXT)
                assert min(smallest, default=11) >= 11, f"figure text drawn at {smallest} px"
            with subtests.test(screen=screen, check="a figure's legend is clear of its curves"):
                assert page.evaluate(LEGEND_COVERS) == []
            with subtests.test(screen=screen, check="the copy button covers no output"):
                assert page.evaluate(COPY_BUTTON_COVERS) == []
            with subtests.test(screen=screen, check="no word breaks in a heading or a table"):
                assert page.evaluate(MID_WORD_BREAKS) == []
            if path in QUESTION_PAGES:
                with subtests.test(screen=screen, check="a prediction's buttons are of one width"):
                    assert page.evaluate(UNEQUAL_BUTTONS) == []
                with subtests.test(
                    screen=screen, check="the verdict's text is at the prose's size"
                ):
                    assert page.evaluate(VERDICT_TEXT) == []
        if path in QUESTION_PAGES and (scheme, screen) in AXE_LOOKS:
            with subtests.test(scheme=scheme, screen=screen, check="predictions"):
                predict_and_start_again(page)
    with subtests.test(check="no console error, no request to another host"):
        assert opened.errors == [], "console errors"
        assert opened.outside == [], "requests to another host"
    if path in QUESTION_PAGES:
        with subtests.test(check="the notebook page opens, with its outputs"):
            page.locator('a.md-button[href*="notebooks/"]:not([download])').click()
            page.locator(".jp-OutputArea-output").first.wait_for()
            results = page.locator(".jp-OutputArea-executeResult")
            assert all(r.locator("svg").count() for r in results.all()), (
                "a notebook cell shows a stray value"
            )
            assert opened.errors == []


def the_answer_is_one_click_from_the_top(page) -> None:
    """At 1280×800, before any scroll: the box with the short answer and the verdict the runs
    decide is closed, its summary lies within the first screen, and one click shows the verdict."""
    page.set_viewport_size(VIEWPORTS["laptop"])
    page.evaluate("window.scrollTo(0, 0)")
    box = page.locator("details", has=page.locator("summary", has_text="The answer, as this build"))
    assert box.count() == 1, "no answer box under the title"
    assert box.get_attribute("open") is None, "the answer shows before the reader asks"
    top = box.locator("summary").bounding_box()
    assert top is not None and top["y"] + top["height"] <= VIEWPORTS["laptop"]["height"], (
        f"the answer box starts {top and top['y']:.0f} px down, below the first screen"
    )
    box.locator("summary").click()
    assert box.get_attribute("open") is not None
    assert box.locator("strong").first.inner_text().startswith("The usual answer")
    box.locator("summary").click()


def test_the_launch_arguments_keep_playwrights_disabled_features():
    """Chromium honours only the last --disable-features: one here would drop Playwright's list."""
    assert [arg for arg in CHROMIUM_ARGS if arg.startswith("--disable-features")] == []


def test_axe_cores_kept_verdict_is_used_only_for_the_same_look(visit, axe_script, tmp_path):
    """A page loaded again is the same look, and gets the verdict kept for it; a hovered heading
    is another look, and faint text another, which axe-core judges afresh and finds wanting."""
    memo = OutcomeMemo(tmp_path / "outcomes")
    page = visit("404.html").page
    look = page.evaluate(LOOK)
    assert serious_violations(page, axe_script, memo) == []
    [kept] = (tmp_path / "outcomes").glob("*.json")
    planted = {"impact": "critical", "id": "planted", "help": "kept", "targets": []}
    kept.write_text(json.dumps({"violations": [planted]}), encoding="utf-8")
    page = visit("404.html").page
    assert page.evaluate(LOOK) == look, "the same page loaded again is another look: none is kept"
    assert serious_violations(page, axe_script, memo) == ["critical: planted (kept) at []"]
    page.locator("h1").hover()
    assert page.evaluate(LOOK) != look, "the hovered heading is not part of the look"
    page.evaluate("document.querySelector('.md-content p').style.color = '#eee'")
    found = serious_violations(page, axe_script, memo)
    assert [v.split(" (")[0] for v in found] == ["serious: color-contrast"], found


def test_the_home_page_shows_no_answer_until_asked_in_the_scheme_the_browser_prefers(visit):
    opened = visit("", "dark")  # the page tests start light, and switch by the toggle
    page = opened.page
    assert page.get_attribute("body", "data-md-color-scheme") == SCHEMES["dark"]
    answers, runs = page.locator("details.success"), page.locator("details.example")
    assert answers.count() == 1 and runs.count() == 2
    verdict_column = page.get_by_text("The usual answer, by the runs")
    assert not verdict_column.is_visible(), "the verdicts show before the reader asks"
    assert not any(run.locator(".highlight").last.is_visible() for run in runs.all()), (
        "an answer runs in view"
    )
    answers.locator("summary").click()
    verdict_column.wait_for(state="visible")
    assert opened.errors == []


def test_the_404_page_leads_back_home(visit):
    opened = visit("404.html")
    page = opened.page
    assert page.locator("h1").inner_text() == "Page not found"
    page.get_by_role("link", name="home page").click()
    page.locator("h1", has_text="Compression answers, executed").wait_for()
    assert urlsplit(page.url).path == PUBLISHED_AT, page.url
    assert opened.errors == []


def test_a_missing_address_under_the_subpath_gets_a_styled_404_that_leads_home(visit):
    """As GitHub Pages serves a project site: the 404 page answers at any depth, and its
    stylesheets, scripts and home link are absolute to the subpath (site_url), not to the host."""
    opened = visit("quantization/no/such/page/")
    page = opened.page
    assert page.locator("h1").inner_text() == "Page not found"
    styled = page.evaluate("getComputedStyle(document.querySelector('.md-header')).position")
    assert styled in {"sticky", "fixed"}, "the theme's stylesheet did not load"
    page.get_by_role("link", name="home page").click()
    page.locator("h1", has_text="Compression answers, executed").wait_for()
    assert urlsplit(page.url).path == PUBLISHED_AT, page.url


def test_a_prediction_is_checked_only_when_asked_can_be_changed_and_is_kept(visit):
    opened = visit(QUESTION_PAGES[0])
    page = opened.page
    form = page.locator("form.prediction").first
    feedback, options = form.locator(".prediction-feedback"), form.locator("input[type=radio]")
    options.first.focus()
    page.keyboard.press("ArrowDown")  # moves the choice: an arrow key never commits it
    assert options.nth(1).is_checked() and not feedback.is_visible()
    form.get_by_role("button", name="Check my prediction").click()
    assert feedback.is_visible(), "no feedback on the reader's choice"
    assert "The run printed `answer:" not in feedback.inner_text()  # rendered, not raw markdown
    assert "The run printed answer:" in feedback.inner_text(), (
        "the feedback does not say what the run showed"
    )
    assert form.locator(".prediction-right").count() == 1, "the run's answer is not shown"
    assert page.locator("details.question").get_attribute("open") is None, (
        "checking opened the usual answer"
    )
    page.reload()
    form = page.locator("form.prediction").first
    assert form.locator("input[type=radio]").nth(1).is_checked(), (
        "the reader's choice was lost on reload"
    )
    assert form.locator(".prediction-feedback").is_visible()
    form.get_by_role("button", name="Start again").click()
    assert not form.locator(".prediction-feedback").is_visible(), "starting again kept the feedback"
    assert form.locator("input:checked").count() == 0, "starting again kept the choice"
    page.reload()
    assert page.locator("form.prediction").first.locator("input:checked").count() == 0
    assert opened.errors == []


def test_the_api_index_breaks_no_word_and_fits_a_phone(visit):
    """The generated API index (which the page test does not visit): its tables of long names
    break them between their words only, at a laptop's width and at a phone's, without a
    sideways scroll."""
    page = visit("api-index/").page
    for screen in ("laptop", "phone"):
        page.set_viewport_size(VIEWPORTS[screen])
        assert page.locator(".md-content table").count() >= 2
        assert page.evaluate(MID_WORD_BREAKS) == [], screen
        assert page.evaluate(SIDEWAYS) == [], screen


def test_searching_typeerror_finds_the_missing_bias_page(visit):
    page = visit("").page
    page.locator("input.md-search__input").click()
    page.keyboard.type("TypeError")
    result = page.locator('.md-search-result__item a[href*="prune-missing-bias"]').first
    result.wait_for(timeout=10_000)
    assert result.is_visible()


def test_a_test_finds_nothing_the_last_one_left_in_the_shared_tab(visit, site_context):
    """The tab is shared (SiteContext): a scheme chosen by the toggle, a checked prediction,
    session and local storage and a phone's width do not reach the next test."""
    page = visit(QUESTION_PAGES[0]).page
    switch_scheme(page, "dark")
    form = page.locator("form.prediction").first
    form.locator("input[type=radio]").first.check()
    form.get_by_role("button", name="Check my prediction").click()
    page.evaluate(
        "() => { localStorage.setItem('planted', 1); sessionStorage.setItem('planted', 1) }"
    )
    page.set_viewport_size(VIEWPORTS["phone"])
    site_context.forget()
    page = site_context.open(QUESTION_PAGES[0], "light").page
    assert page.get_attribute("body", "data-md-color-scheme") == SCHEMES["light"]
    assert page.locator("form.prediction input:checked").count() == 0, "a prediction was kept"
    planted = "[localStorage.getItem('planted'), sessionStorage.getItem('planted')]"
    assert page.evaluate(planted) == [None, None], "storage was kept"
    assert page.viewport_size == VIEWPORTS["laptop"]
