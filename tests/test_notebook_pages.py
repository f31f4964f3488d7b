"""A notebook's page: its inline styles and scripts become shared files, and a header leads back
to its question. Strings in, strings out."""

from compression_answers import notebook_pages

ARTICLE = '<article class="md-content__inner md-typeset">'
PAGE = (
    "<html><head><style>.material{}</style><script>var head = 1;</script></head><body>"
    f"{ARTICLE}"
    '<style type="text/css">.jp{color:red}</style>'
    "<script>copy();</script>"
    '<script type="module">import("x");</script>'
    '<script type="application/json">{"widget": 1}</script>'
    '<script src="../../x.js"></script>'
    "<div>cell</div><style>.jp{color:red}</style>"
    "</article></body></html>"
)


def test_the_articles_inline_styles_and_scripts_become_files_named_by_their_content():
    page, files = notebook_pages.shared(PAGE, "../../assets/notebooks")
    assert sorted(files.values()) == sorted(['import("x");', ".jp{color:red}", "copy();"])
    css = next(name for name, text in files.items() if text == ".jp{color:red}")
    assert page.count(f'<link rel="stylesheet" href="../../assets/notebooks/{css}">') == 2
    module = next(name for name, text in files.items() if text == 'import("x");')
    assert f'<script type="module" src="../../assets/notebooks/{module}"></script>' in page
    assert ".jp{color:red}" not in page and "copy();" not in page


def test_what_precedes_the_article_and_data_or_sourced_scripts_stay():
    page, _ = notebook_pages.shared(PAGE, "a")
    assert "<style>.material{}</style><script>var head = 1;</script>" in page
    assert '<script type="application/json">{"widget": 1}</script>' in page
    assert '<script src="../../x.js"></script>' in page


def test_a_page_without_the_article_is_left_alone():
    assert notebook_pages.shared("<style>x</style>", "a") == ("<style>x</style>", {})
    header = notebook_pages.Header("Q", "../../q/", "q.ipynb", "q.ipynb", "torch 9")
    assert notebook_pages.with_header("<p>no article</p>", header) == "<p>no article</p>"


def test_the_header_leads_back_offers_the_file_and_names_the_build():
    header = notebook_pages.Header(
        question_title="Does <b> & co. hold?",
        question_url="../../quantization/q/",
        download_url="q.ipynb",
        download_name="q.ipynb",
        built="torch 2.13.0, on 2026-11-30",
    )
    page = notebook_pages.with_header(PAGE, header)
    top = page[page.index(ARTICLE) + len(ARTICLE) :]
    assert top.startswith('<div class="admonition info notebook-header">')
    assert "Does &lt;b&gt; &amp; co. hold?" in top
    assert '<a href="../../quantization/q/">' in top
    assert '<a class="md-button" href="q.ipynb" download>Download q.ipynb</a>' in top
    assert "torch 2.13.0, on 2026-11-30" in top


def test_code_and_output_boxes_in_the_article_can_be_reached_by_the_keyboard():
    page = (
        '<pre>before</pre><article class="md-content__inner md-typeset">'
        '<div class="highlight-ipynb hl-python"><pre>code</pre></div>'
        '<pre tabindex="-1">kept</pre></article>'
    )
    reached = notebook_pages.focusable(page)
    assert reached.startswith("<pre>before</pre>"), "Material's own boxes are left alone"
    assert '<div class="highlight-ipynb hl-python" tabindex="0"><pre tabindex="0">code' in reached
    assert '<pre tabindex="-1">kept</pre>' in reached
