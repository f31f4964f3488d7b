"""The MkDocs plugin `compression-answers`: runs the site's snippets and renders its pages.

It connects the package to MkDocs' events and holds one build's state on the instance: it starts
every included snippet before the first page renders (`runs`), writes each question page's
notebook (`notebooks`) and gives the notebook's page a header and shared assets
(`notebook_pages`), hands each page to `page_transform.render` and logs the problems it returns,
and after the build reports snippets no page includes and prunes the cache. Under `mkdocs serve`
it keeps each page's render (`rendered_pages`) and its search entries (`kept_search`) across
rebuilds, handed back while nothing they were made from has changed. The path goes one
way: the plugin calls the package, and nothing in the package calls the plugin.

    plugins:
      - compression-answers:
          timeout: 120   # seconds a snippet may run (SNIPPET_TIMEOUT overrides)
          jobs: 0        # snippets at once; 0: one per core (SNIPPET_JOBS overrides)
          cache: true    # keep outputs in cache_dir (SNIPPET_CACHE=off overrides)
          cache_dir: .cache/executed-snippets

With SNIPPET_EXECUTE=off it executes nothing: every output comes from the cache, merged from
shards that ran on other machines (shards.py).
"""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path
from urllib.parse import urljoin

import jinja2
import markdown_exec
import nbformat
from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

from compression_answers import (
    api_index,
    kept_search,
    line_breaks,
    notebook_pages,
    notebooks,
    page_rules,
    page_transform,
    pages,
    rendered_pages,
    runs,
    settings,
    versions,
)
from compression_answers.fork_server import ForkServer
from compression_answers.runner import SnippetFailed

log = logging.getLogger("mkdocs.plugins.compression_answers")
# Where the build writes the notebooks it generates: mkdocs-jupyter reads a notebook from a file.
GENERATED_NOTEBOOKS = Path(".cache") / "notebooks"


def notebook_links(page: File, notebook: File) -> page_transform.Notebook:
    """The links from a question page to its notebook's page (from its source file, as MkDocs
    resolves and checks a link) and to the file that mkdocs-jupyter copies beside that page
    (from the page's URL: a raw link), by MkDocs' URL helpers."""
    download = notebooks.notebook_download(Path(page.src_uri))
    return page_transform.Notebook(
        page_url=get_relative_url(notebook.src_uri, page.src_uri),
        download_url=get_relative_url(download, page.url),
    )


class CompressionAnswersConfig(base.Config):
    timeout = c.Type((int, float), default=settings.DEFAULT_TIMEOUT_SECONDS)
    jobs = c.Type(int, default=0)
    cache = c.Type(bool, default=True)
    cache_dir = c.Type(str, default=str(runs.CACHE_DIR))


class CompressionAnswersPlugin(BasePlugin[CompressionAnswersConfig]):
    def __init__(self) -> None:
        self.command = "build"
        self.runs: runs.Runs | None = None
        self.site: page_transform.Site | None = None
        self.pages: list[File] = []  # the build's documentation pages
        self.pages_seen: set[str] = set()  # the pages rendered in this build, by src_uri
        # Each notebook page's header, by the notebook's src_uri; set by write_notebooks.
        self.notebook_headers: dict[str, notebook_pages.Header] = {}
        # Starts every run; kept across `mkdocs serve`'s rebuilds, so torch is imported once.
        self.server = ForkServer()
        # Under `mkdocs serve`, each page's render, handed back while nothing it was rendered from
        # has changed (rendered_pages.py): a prose edit renders one page, not the whole site.
        self.rendered = rendered_pages.RenderedPages()
        self.recording: rendered_pages.Recording | None = None
        self.site_key = ""  # the build's markdown configuration and files, once per build
        self.pages_rendered: list[str] = []
        self.pages_kept: list[str] = []
        # Under `mkdocs serve`, each page's search entries, kept while its HTML is (kept_search.py).
        self.search = kept_search.KeptSearch()

    def on_startup(self, *, command, dirty) -> None:
        self.command = command
        self.rendered.clear()
        self.search = kept_search.KeptSearch()

    def on_shutdown(self) -> None:
        self.server.close()

    def on_config(self, config):
        defaults = settings.Settings(
            cache=self.config.cache,
            timeout=float(self.config.timeout),
            jobs=self.config.jobs or os.cpu_count() or 1,
        )
        try:
            self.settings = settings.read(defaults=defaults)
        except settings.BadSetting as error:
            raise PluginError(f"{error} (an environment variable the build reads)") from None
        # markdown-exec runs as a superfences fence, not as a plugin: its warnings (a snippet that
        # raised) must reach MkDocs's own loggers, where strict mode counts them.
        markdown_exec.patch_loggers(lambda name: logging.getLogger(f"mkdocs.plugins.{name}"))
        return config

    def on_pre_build(self, *, config) -> None:
        self.pages_seen.clear()
        self.site_key = ""
        self.pages_rendered.clear()
        self.pages_kept.clear()
        # Material's search plugin makes a new index in each build's on_config.
        index = kept_search.search_index(config.plugins.values())
        if self.command == "serve" and index is not None:
            self.search.attach(index)
        self.runs = runs.begin(
            Path(config.config_file_path).parent,
            settings=self.settings,
            cache_dir=Path(self.config.cache_dir),
            progress=log.info,
            server=self.server,
        )

    @event_priority(110)  # before mkdocs-jupyter's on_files, which makes pages of the notebooks
    def start_runs(self, files: Files, *, config) -> Files:
        current = self.runs
        assert current is not None, "on_pre_build makes the runs"
        files.append(File.generated(config, "api-index.md", content=self.api_index(files)))
        try:
            differences = versions.differences(current.project)
            page = versions.page_for(current.project)
        except ValueError as error:
            raise PluginError(str(error)) from None
        written = files.get_file_from_path(
            versions.PAGE
        )  # by `python -m compression_answers.versions`
        if written is not None:
            files.remove(written)
        files.append(File.generated(config, versions.PAGE, content=page))
        self.pages = list(files.documentation_pages())
        for file in self.pages:
            for include in page_rules.executed_includes(file.content_string, current.project):
                # A missing file is reported with its page and line.
                if (current.project / include.path).is_file():
                    current.start(include.path, include.returncode, include.width)
        if not current.settings.execute:
            missing = current.not_run()
            if missing:
                raise PluginError(
                    "SNIPPET_EXECUTE=off, and the cache holds no output of "
                    + ", ".join(missing)
                    + ": no shard ran them (is a shard's cache missing from the merge?)"
                )
        question_files = [file for file in self.pages if page_rules.is_question_page(file.src_uri)]
        notebook_files = self.write_notebooks(files, config)
        self.site = page_transform.Site(
            project=current.project,
            decisions=page_transform.Decisions(self.included_outputs),
            question_pages=[(file.src_uri, file.content_string) for file in question_files],
            differences=differences,
            notebooks={
                file.src_uri: notebook_links(file, notebook_files[file.src_uri])
                for file in question_files
                if file.src_uri in notebook_files
            },
            built=page_transform.built_with(),
            doc_links=api_index.doc_links(current.project),
        )
        return files

    @event_priority(-100)  # after mkdocs-jupyter has made its pages of the notebooks
    def hide_notebooks(self, files: Files, *, config) -> Files:
        """Each notebook is linked from its question page, not listed in the sidebar."""
        for file in files:
            if file.src_uri.startswith(f"{notebooks.NOTEBOOKS}/"):
                file.inclusion = InclusionLevel.NOT_IN_NAV
        return files

    on_files = CombinedEvent(start_runs, hide_notebooks)

    def included_outputs(self, source: str, where: str):
        assert self.runs is not None
        try:
            return self.runs.included_outputs(source, where)
        except runs.RunnerFault as fault:
            raise PluginError(str(fault)) from fault

    def api_index(self, files: Files) -> str:
        """The API index page, from the snippets (tests/test_api_index.py fails if a function is uncalled)."""
        assert self.runs is not None
        found = api_index.index(self.runs.project)
        sources = ((file.src_uri, file.content_string) for file in files.documentation_pages())
        pages_of = {
            snippet: [(uri, title.replace("|", "\\|")) for uri, title in found_on]
            for snippet, found_on in pages.snippet_pages(sources).items()
        }
        return api_index.markdown(found, pages_of, api_index.torchao_modules(self.runs.project))

    def write_notebooks(self, files: Files, config) -> dict[str, File]:
        """Each question page's notebook, holding this build's outputs, as a file of the site."""
        assert self.runs is not None
        folder = self.runs.project / GENERATED_NOTEBOOKS
        docs = Path(config.docs_dir)
        written: dict[str, File] = {}
        names: dict[str, str] = {}
        built = page_transform.built_with()
        self.notebook_headers.clear()
        for page in notebooks.question_pages(docs):
            src_uri = page.relative_to(docs).as_posix()
            name = notebooks.notebook_name(page)
            if name in names:
                raise PluginError(
                    f"docs/{src_uri}: its notebook would be {name}, which docs/{names[name]} "
                    "already has: a question page's file name (its slug) must be unique"
                )
            names[name] = src_uri
            outputs = {
                include.path: output
                for include, output in self.included_outputs(
                    page.read_text(encoding="utf-8"), f"docs/{src_uri}"
                )
            }
            question = files.get_file_from_path(src_uri)
            title = pages.title_of(page_rules.front_matter(page.read_text(encoding="utf-8"))[0])
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            file = File(name, str(folder), config.site_dir, config.use_directory_urls)
            # The downloaded file is read away from the site: its link back is absolute.
            question_url = urljoin(config.site_url or "", question.url) if question else ""
            target.write_text(
                nbformat.writes(
                    notebooks.notebook_for(
                        page, self.runs.project, outputs, built=built, question_url=question_url
                    )
                ),
                encoding="utf-8",
            )
            files.append(file)
            written[src_uri] = file
            download = notebooks.notebook_download(page)
            # Its URLs from the site's root: on_post_page makes them relative to its page.
            self.notebook_headers[name] = notebook_pages.Header(
                question_title=pages.plain_text(title),
                question_url=question.url if question else "",
                download_url=download,
                download_name=Path(download).name,
                built=built,
            )
        return written

    # Before other plugins read the page: the build writes its verdict and predictions.
    @event_priority(50)
    def transform_markdown(self, markdown, *, page, config, files):
        assert self.runs is not None and self.site is not None
        self.pages_seen.add(page.file.src_uri)
        source = page.file.content_string  # with front matter: true line numbers
        where = f"docs/{page.file.src_uri}"
        self.runs.page = (where, source)
        if page.meta.get("short_answer") and not page.meta.get("description"):
            # What a search result or a link preview says of the page: its short answer.
            page.meta["description"] = pages.plain_text(str(page.meta["short_answer"]))
        markdown, problems = page_transform.render(markdown, source, page.file.src_uri, self.site)
        for problem in problems:
            log.warning(str(problem))
        return markdown

    @event_priority(-100)  # after every plugin has changed the markdown: the render's input
    def reuse_render(self, markdown, *, page, config, files):
        """Under `mkdocs serve`, the page's render from an earlier rebuild where nothing it was
        rendered from has changed; otherwise the render is recorded, to be kept."""
        assert self.runs is not None
        # A page MkDocs renders itself (mkdocs-jupyter renders its notebooks its own way).
        if self.command != "serve" or getattr(page.render, "__func__", None) is not Page.render:
            return markdown
        if not self.site_key:
            self.site_key = rendered_pages.site_key(
                (config.markdown_extensions, config.mdx_configs, config.validation),
                ((file.src_uri, file.url) for file in files),
            )
        key = rendered_pages.page_key(
            markdown, page.meta, page.file.src_uri, page.url, self.site_key
        )
        kept = self.rendered.reusable(page.file.src_uri, key, self.output_now)
        if kept is not None:
            self.pages_kept.append(page.file.src_uri)

            def render_kept(config, files) -> None:  # as mkdocs-jupyter replaces a page's render
                rendered_pages.restore(page, kept, files)

            page.render = render_kept
            return markdown
        self.recording = rendered_pages.Recording(
            page.file.src_uri, key, len(self.runs.given)
        ).start()
        return markdown

    on_page_markdown = CombinedEvent(transform_markdown, reuse_render)

    def output_now(self, asked: rendered_pages.OutputKey) -> str | None:
        assert self.runs is not None
        try:
            return self.runs.output(*asked)
        except SnippetFailed:
            return None

    @event_priority(100)  # before any plugin changes the render's HTML
    def keep_render(self, html, *, page, config, files):
        recording, self.recording = self.recording, None
        if recording is None:
            return html
        recording.stop()
        assert self.runs is not None and recording.src_uri == page.file.src_uri
        self.pages_rendered.append(recording.src_uri)
        self.rendered.keep(recording, page, dict(self.runs.given[recording.outputs_before :]))
        return html

    def finish_page(self, html, *, page, config, files):
        assert self.runs is not None
        self.runs.page = None
        # A notebook's page repeats its question page's code and outputs: search finds them there.
        # (Set here: the page's meta is read from its source after on_pre_page.)
        if page.file.src_uri.startswith(f"{notebooks.NOTEBOOKS}/"):
            page.meta["search"] = {"exclude": True}
        # A long name in a heading or a table breaks between its words, never inside one.
        return line_breaks.names_breakable(html)

    on_page_content = CombinedEvent(keep_render, finish_page)

    def on_post_page(self, output, *, page, config):
        """A notebook's page: a header that leads back to its question, and mkdocs-jupyter's
        inline styles and scripts as files shared by every notebook page."""
        header = self.notebook_headers.get(page.file.src_uri)
        if header is None:
            return output
        header = dataclasses.replace(
            header,
            question_url=get_relative_url(header.question_url, page.url),
            download_url=get_relative_url(header.download_url, page.url),
        )
        output = notebook_pages.focusable(notebook_pages.with_header(output, header))
        output, assets = notebook_pages.shared(
            output, get_relative_url(notebook_pages.ASSETS, page.url)
        )
        folder = Path(config.site_dir) / notebook_pages.ASSETS
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in assets.items():
            target = folder / name
            if not target.exists():  # named by its content: an existing file holds the same
                target.write_text(text, encoding="utf-8")
        return output

    def on_env(self, env, *, config, files):
        # Each build makes a new Jinja environment, which compiles Material's templates again
        # (half of a small build's time); Jinja's bytecode cache keeps the compiled code in the
        # user's temporary directory, and compiles a template whose source changed again.
        env.bytecode_cache = jinja2.FileSystemBytecodeCache()
        return env

    def on_build_error(self, *, error) -> None:
        if self.recording is not None:
            self.recording.stop()
            self.recording = None
        runs.end()

    def on_post_build(self, *, config) -> None:
        current = self.runs
        assert current is not None
        current.shutdown()
        # Every page was rendered (not a serve rebuild of some): the checks saw them all.
        if all(file.src_uri in self.pages_seen for file in self.pages):
            included = {
                include.path
                for file in self.pages
                for include in page_rules.executed_includes(file.content_string, current.project)
            }
            for snippet in sorted((current.project / "snippets").glob("*/*.py")):
                path = snippet.relative_to(current.project).as_posix()
                if path not in included:
                    log.warning(f"{path}: no page includes this snippet")
            if current.settings.cache and current.cache.directory.is_dir():
                current.cache.prune()
        log.info(
            f"snippets: {len(current.executed)} executed "
            f"({sum(seconds for _, seconds in current.executed):.2f} s of run time, "
            f"{current.settings.jobs} at a time), {len(current.from_cache)} from cache"
            + (f"; runs {current.seal}" if current.seal else "")
            + (f"; {current.view}" if current.view else "")
            + (
                f"; pages: {len(self.pages_rendered)} rendered, {len(self.pages_kept)} as before, "
                f"{len(self.search.parsed)} indexed for search again"
                if self.command == "serve"
                else ""
            )
        )
        runs.end()
        self.runs = None
