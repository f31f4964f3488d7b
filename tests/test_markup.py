"""The markup the project writes has no error in the W3C Nu HTML checker (npm `vnu-jar`).

What the project writes is each page's article: the prose, the executed outputs, the verdicts,
the predictions, the inline figures, the generated pages and the 404 page. The theme's frame
around it (Material's header, search and navigation) and mkdocs-jupyter's notebook pages are
other projects' markup, and are left out: each article is checked inside a minimal document.
"""

import json
import shutil
import subprocess

import node_tools

FRAME = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>'
    "<body><main>{article}</main></body></html>"
)
# Checked with the others, to show that the checker reports what it should: matplotlib's RDF
# metadata inside an inline SVG, which an earlier figure carried.
PLANTED = "<article><svg><metadata><rdf:RDF></rdf:RDF></metadata></svg></article>"

# A run of a second: the quick compiler alone (half the CPU of the default's two), one garbage
# collector thread, and the deeper stack the checker's schema then needs.
JVM_OPTIONS = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xss4m"]


def test_the_project_markup_has_no_error_in_the_nu_checker(built_site, tmp_path):
    java = shutil.which("java")
    if java is None:
        node_tools.missing("Java for the Nu checker: apt-get install default-jre-headless")
    checker = node_tools.installed("vnu-jar/build/dist/vnu.jar")
    articles = tmp_path / "articles"
    for page in sorted(built_site.rglob("*.html")):
        relative = page.relative_to(built_site)
        if relative.parts[0] == "notebooks":
            continue  # mkdocs-jupyter's rendering of the notebooks
        html = page.read_text(encoding="utf-8")
        # As written, not as a parser would serialise it again: Material's page has one article.
        start, end = html.find("<article"), html.rfind("</article>")
        assert 0 <= start < end, f"{relative} has no article"
        article = html[start : end + len("</article>")]
        target = articles / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(FRAME.format(title=relative, article=article), encoding="utf-8")
    planted = tmp_path / "planted.html"
    planted.write_text(FRAME.format(title="planted", article=PLANTED), encoding="utf-8")
    done = subprocess.run(
        [
            java,
            *JVM_OPTIONS,
            "-jar",
            str(checker),
            "--errors-only",
            "--format",
            "json",
            str(articles),
            str(planted),
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(done.stderr or done.stdout)["messages"]
    errors = [
        f"{m['url'].split(str(articles))[-1]}:{m.get('lastLine', '?')}: {m['message']}"
        for m in messages
        if m["type"] == "error" and "planted.html" not in m["url"]
    ]
    assert any("planted.html" in m["url"] for m in messages), "the checker missed the planted error"
    assert errors == [], "\n".join(errors)
