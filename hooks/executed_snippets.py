"""MkDocs hook: how the site runs its snippets, caches their outputs, and checks its pages.

markdown-exec renders every executed block; this hook replaces only the function that runs the
code. Each snippet runs as `python snippets/<slug>/<name>.py` would, in a child forked from the
build (torch is imported once, not once per snippet), with a time limit; its stdout is the
output. Outputs are cached under `.cache/executed-snippets/`, keyed on everything that shapes
them, so a prose edit under `mkdocs serve` executes nothing.

Settings (environment variables):
    SNIPPET_CACHE=off     run every snippet, read and write no cache (CI and the tests do this)
    SNIPPET_TIMEOUT=120   seconds a snippet may run before it is stopped and the build fails
    SNIPPET_JOBS=<cores>  snippets run at the same time (each with one torch thread when above 1)
"""
from __future__ import annotations

import ast
import builtins
import hashlib
import importlib
import json
import logging
import os
import re
import selectors
import signal
import sys
import threading
import time
import traceback
from concurrent.futures import Future, ThreadPoolExecutor
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.utils.meta import get_data

from compression_answers import claims, pages

ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = ROOT / ".cache" / "executed-snippets"
DEFAULT_TIMEOUT_SECONDS = 120
# Versions that shape what a snippet prints: a new release of any of them re-executes everything.
KEY_PACKAGES = ("torch", "torchao", "numpy", "scikit-learn", "matplotlib", "markdown-exec")

# Any executed block, and the one form pages may use: a block holding one snippet include.
EXECUTED_BLOCK = re.compile(r'^```\w+ [^\n]*exec="(?:on|1|true)"', re.MULTILINE)
EXECUTED_INCLUDE = re.compile(
    r'^```python exec="on"(?P<options>[^\n]*)\n--8<-- "(?P<path>[^"]+)"\n```$', re.MULTILINE
)
# A snippet may run another one (runpy.run_path): its source is part of the cache key too.
SNIPPET_PATH = re.compile(r"snippets/[\w.-]+/[\w.-]+\.py")
# What every question page (a page inside a section folder) shows, in its reader's order.
QUESTION_PAGE_PARTS = {
    "the question": re.compile(r"^## The question$", re.MULTILINE),
    "the hint": re.compile(r'^\?\?\?\+? tip "Hint"', re.MULTILINE),
    "the usual answer": re.compile(r'^\?\?\?\+? question "The usual answer', re.MULTILINE),
    "the reader's prediction": re.compile(r"^<quiz>$", re.MULTILINE),
    "a verdict": re.compile(r'^## Verdict\n\n!!! verdict "', re.MULTILINE),
}

log = logging.getLogger("mkdocs.hooks.executed_snippets")


def is_question_page(src_path: str) -> bool:
    """A page inside a section folder of docs/ is a question page; the others are not."""
    return "/" in src_path


class SnippetFailed(Exception):
    """A snippet raised, exited with an error, or ran out of time; the message says which and where."""


def timeout_seconds() -> float:
    return float(os.environ.get("SNIPPET_TIMEOUT", DEFAULT_TIMEOUT_SECONDS))


def jobs() -> int:
    return int(os.environ.get("SNIPPET_JOBS", os.cpu_count() or 1))


def cache_enabled() -> bool:
    return os.environ.get("SNIPPET_CACHE", "on").lower() not in {"off", "0", "false", "no"}


# --- running one snippet ------------------------------------------------------------------------


def _import_quietly(names) -> None:
    for name in names:
        if name not in sys.modules:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001, S112 - the child raises it again, where it can be reported
                continue


def _warm_imports(code: str) -> None:
    """Import in this process what the snippet imports, so that forked children share the cost."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return  # the child reports it, with file and line
    for node in tree.body:
        names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        _import_quietly(names)


# Builds run snippets from several threads: no fork while this process is importing.
_forking = threading.Lock()


def _child(code: str, path: str, cwd: Path, stdout_fd: int, stderr_fd: int, modules_fd: int, threads: int | None) -> None:
    """In the forked child: become `python <path>`, run, and exit without returning."""
    status = 1
    imported_before = set(sys.modules)
    try:
        os.chdir(cwd)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        os.dup2(stdout_fd, 1)
        os.dup2(stderr_fd, 2)
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.argv = [path]
        sys.path[0] = str((cwd / path).parent)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        if threads:  # snippets running side by side must not fight over the cores
            os.environ["OMP_NUM_THREADS"] = str(threads)
            if "torch" in sys.modules:
                sys.modules["torch"].set_num_threads(threads)
        try:
            exec(compile(code, path, "exec"), {"__name__": "__main__", "__file__": path, "__builtins__": builtins})  # noqa: S102
            status = 0
        except SystemExit as exit_:
            status = 0 if exit_.code in (None, 0) else 1
            if status:
                print(f"SystemExit: {exit_.code}", file=sys.stderr)
        except BaseException as error:  # noqa: BLE001
            # Drop this frame: the traceback starts at the snippet's own file and line.
            traceback.print_exception(type(error), error, error.__traceback__.tb_next)
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001, S110
                pass
        os.write(modules_fd, "\n".join(sorted(set(sys.modules) - imported_before)).encode())
        os._exit(status)


def run_snippet(code: str, path: str, cwd: Path = ROOT, timeout: float | None = None, threads: int | None = None) -> str:
    """What `python <path>` prints to stdout, for `code` read from it; raises SnippetFailed.

    Runs in a child forked from this process (a fresh process that starts with this one's
    imports), so no state leaks from one snippet to the next and a hung one can be stopped.
    """
    timeout = timeout_seconds() if timeout is None else timeout
    with _forking:
        _warm_imports(code)
        out_read, out_write = os.pipe()
        err_read, err_write = os.pipe()
        modules_read, modules_write = os.pipe()
        pid = os.fork()
        if pid == 0:
            for fd in (out_read, err_read, modules_read):
                os.close(fd)
            _child(code, path, cwd, out_write, err_write, modules_write, threads)
    for fd in (out_write, err_write, modules_write):
        os.close(fd)
    chunks: dict[int, list[bytes]] = {out_read: [], err_read: [], modules_read: []}
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        for fd in chunks:
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                for key in list(selector.get_map().values()):  # the others are closed already
                    os.close(key.fd)
                raise SnippetFailed(
                    f"{path}: still running after {timeout:g} s, stopped "
                    f"(the limit is SNIPPET_TIMEOUT, default {DEFAULT_TIMEOUT_SECONDS} s)"
                )
            for key, _ in selector.select(remaining):
                data = os.read(key.fd, 65536)
                if data:
                    chunks[key.fd].append(data)
                else:
                    selector.unregister(key.fd)
                    os.close(key.fd)
    _, status = os.waitpid(pid, 0)
    stdout = b"".join(chunks[out_read]).decode("utf-8", "replace")
    stderr = b"".join(chunks[err_read]).decode("utf-8", "replace")
    # Modules torch imports lazily (torch._dynamo on a first optimizer step: about 1 s): the
    # next children start with them.
    with _forking:
        _import_quietly(b"".join(chunks[modules_read]).decode().split())
    if os.waitstatus_to_exitcode(status) != 0:
        raise SnippetFailed(f"{path} raised:\n{traceback_only(stderr)}")
    return stdout


def traceback_only(stderr: str) -> str:
    """The traceback, without the library noise (torchao's load messages) printed before it."""
    start = stderr.rfind("Traceback (most recent call last):")
    return stderr[start:] if start >= 0 else stderr


# --- the cache and the build's runs --------------------------------------------------------------


def _environment() -> dict[str, str]:
    versions = {"python": sys.version}
    for package in KEY_PACKAGES:
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = "absent"
    versions["runner"] = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
    return versions


def cache_key(code: str, options: str, cwd: Path = ROOT, environment: dict[str, str] | None = None) -> str:
    referenced = {
        path: (cwd / path).read_text(encoding="utf-8") if (cwd / path).is_file() else None
        for path in sorted(set(SNIPPET_PATH.findall(code)))
    }
    block_options = sorted(re.findall(r'(\w+)="([^"]*)"', options))
    material = json.dumps([code, block_options, referenced, environment or _environment()], sort_keys=True)
    return hashlib.sha256(material.encode()).hexdigest()


class Build:
    """One build's runs: started for every included snippet before the first page renders."""

    def __init__(self, project: Path = ROOT) -> None:
        self.project = project
        self.environment = _environment()  # once per build: reading package metadata is not free
        self.runs: dict[tuple[str, str], Future] = {}  # (path, code) -> its output
        self.pool = ThreadPoolExecutor(max_workers=jobs(), thread_name_prefix="snippet")
        self.executed: list[tuple[str, float]] = []  # (path, seconds it ran)
        self.from_cache: list[str] = []
        self.keys_used: set[str] = set()
        self.pages_seen = 0
        self.documentation_pages = 0
        self.included: set[str] = set()
        self.decided: dict[str, claims.Verdict | None] = {}  # page -> its verdict, decided once per build

    def start(self, path: str, options: str) -> None:
        code = (self.project / path).read_text(encoding="utf-8")
        if (path, code.strip("\n")) not in self.runs:
            self.runs[path, code.strip("\n")] = self.pool.submit(
                self._output, code, path, cache_key(code, options, self.project, self.environment)
            )

    def _output(self, code: str, path: str, key: str) -> str:
        self.keys_used.add(key)
        entry = CACHE_DIR / f"{key}.json"
        if cache_enabled() and entry.is_file():
            self.from_cache.append(path)
            return json.loads(entry.read_text(encoding="utf-8"))["output"]
        started = time.perf_counter()
        output = run_snippet(code, path, cwd=self.project, threads=1 if jobs() > 1 else None)
        self.executed.append((path, time.perf_counter() - started))
        if cache_enabled():
            CACHE_DIR.mkdir(parents=True, exist_ok=True)
            entry.write_text(json.dumps({"snippet": path, "output": output}), encoding="utf-8")
        return output

    def output(self, code: str, path: str) -> str:
        run = self.runs.get((path, code.strip("\n")))
        if run is None:  # not in the include form the pages were scanned for: run it here, uncached
            return run_snippet(code, path, cwd=self.project)
        return run.result()


build: Build  # made anew by on_pre_build, for each build


def _run_for_markdown_exec(code: str, returncode: int | None = None, session: str | None = None, id: str | None = None, **extra: str) -> str:  # noqa: A002, ARG001
    """Stands in for markdown-exec's `_run_python`: same arguments, same ExecutionError on failure."""
    from markdown_exec._internal.formatters.base import ExecutionError
    from markdown_exec._internal.rendering import code_block

    path = extra.get("title", "")
    if session:
        raise ExecutionError(code_block("text", f"{path}: session= is not supported, every snippet runs on its own"))
    if not SNIPPET_PATH.fullmatch(path):
        raise ExecutionError(code_block("text", f'an executed block needs title="snippets/<slug>/<name>.py", got {path!r}'))
    try:
        return build.output(code, path)
    except SnippetFailed as error:
        raise ExecutionError(code_block("text", str(error))) from None


# --- MkDocs events ------------------------------------------------------------------------------


def on_config(config):
    import markdown_exec
    from markdown_exec._internal.formatters import python as python_formatter

    # markdown-exec runs as a superfences fence, not as a plugin: its warnings (a snippet that
    # raised) must reach MkDocs's own loggers, where strict mode counts them.
    markdown_exec.patch_loggers(lambda name: logging.getLogger(f"mkdocs.plugins.{name}"))

    # markdown-exec looks this name up at call time, for every python block.
    python_formatter._run_python = _run_for_markdown_exec
    return config


def on_pre_build(config):
    global build  # noqa: PLW0603 - one Build per build, also under `mkdocs serve`
    build = Build(Path(config.config_file_path).parent)


def on_files(files, config):
    pages = [file for file in files if file.is_documentation_page()]
    build.documentation_pages = len(pages)
    for file in pages:
        for match in EXECUTED_INCLUDE.finditer(Path(file.abs_src_path).read_text(encoding="utf-8")):
            if SNIPPET_PATH.fullmatch(match["path"]) and (build.project / match["path"]).is_file():
                build.start(match["path"], match["options"])  # a bad include is reported with its page
    return files


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _checked_lines(source: str) -> list[claims.Checked]:
    """The checked lines of every snippet a page includes that ran (a failed one fails the build itself)."""
    checked = []
    for match in EXECUTED_INCLUDE.finditer(source):
        path = match["path"]
        if not (build.project / path).is_file():
            continue  # reported as a missing include
        try:
            output = build.output((build.project / path).read_text(encoding="utf-8"), path)
        except SnippetFailed:
            continue
        checked += claims.checked_lines(output, path)
    return checked


def _decided(source: str, where: str) -> claims.Verdict | None:
    """The verdict the page's runs decide (None, reported, if they decide none); once per build."""
    if where not in build.decided:
        build.decided[where] = _decide(source, where)
    return build.decided[where]


def _decide(source: str, where: str) -> claims.Verdict | None:
    try:
        checked = _checked_lines(source)
    except claims.BadCheckedLine as error:
        log.warning(f"{where}: {error}")
        return None
    for check in claims.failed_checks(checked):
        log.warning(f"{where}: {check.snippet} printed {check.line!r}: the page's prose relies on it; rewrite the prose for what the run shows")
    if not claims.deciding(checked):
        log.warning(f"{where}: none of its snippets prints a checked line (claim: …: True), so nothing decides its verdict")
        return None
    return claims.verdict(checked)


def _with_verdict(markdown: str, source: str, where: str) -> str:
    """The verdict and the prediction's right choice, as the page's runs decide them."""
    decided = _decided(source, where)
    if decided is None:  # already reported: leave out the prediction, which has no key without a verdict
        return pages.PREDICTION.sub("", markdown)
    try:
        problem = pages.verdict_problem(source, decided)
        if problem:
            log.warning(f"{where}:{pages.line_of(source, problem.offset)}: {problem}")
        checked = claims.deciding(_checked_lines(source))
        return pages.mark_prediction(pages.render_verdict(markdown, decided, checked), decided)
    except pages.PageProblem as problem:
        log.warning(f"{where}:{pages.line_of(source, problem.offset)}: {problem}")
        return markdown


def _with_question_table(markdown: str, source: str, where: str, files) -> str:
    """The home page's table: each question page's title and short answer, and its runs' verdict."""
    rows = []
    for file in sorted(files.documentation_pages(), key=lambda f: f.src_uri):
        if not is_question_page(file.src_uri):
            continue
        page_source = Path(file.abs_src_path).read_text(encoding="utf-8")
        body, meta = get_data(page_source)
        decided = _decided(page_source, f"docs/{file.src_uri}")
        if "short_answer" not in meta:
            log.warning(f"docs/{file.src_uri}: a question page needs `short_answer:` in its front matter, for the home page")
        try:
            title = pages.title_of(body)
        except pages.PageProblem as problem:
            log.warning(f"docs/{file.src_uri}: {problem}")
            continue
        verdict = claims.TITLE[decided.name].removeprefix("The usual answer ") if decided else "(no verdict: see the build log)"
        rows.append(pages.QuestionRow(file.src_uri, title, meta.get("short_answer", ""), verdict))
    try:
        return pages.insert_question_table(markdown, rows)
    except pages.PageProblem as problem:
        log.warning(f"{where}: {problem}")
        return markdown


@event_priority(50)  # before mkdocs-quiz reads the prediction: the build marks its right choice
def on_page_markdown(markdown, page, config, files):
    build.pages_seen += 1
    source = Path(page.file.abs_src_path).read_text(encoding="utf-8")  # with front matter: true line numbers
    where = f"docs/{page.file.src_path}"
    includes = list(EXECUTED_INCLUDE.finditer(source))
    include_starts = {match.start() for match in includes}
    for block in EXECUTED_BLOCK.finditer(source):
        if block.start() not in include_starts:
            log.warning(
                f'{where}:{_line(source, block.start())}: an executed block must hold one line, '
                f'--8<-- "snippets/<slug>/<name>.py", so that the tests run the same code'
            )
    for match in includes:
        line, path = _line(source, match.start()), match["path"]
        if not (build.project / path).is_file():
            raise PluginError(f"{where}:{line + 1}: includes {path}, which does not exist")
        if not SNIPPET_PATH.fullmatch(path):
            log.warning(f"{where}:{line + 1}: includes {path}: snippets live at snippets/<slug>/<name>.py")
        if f'title="{path}"' not in match["options"]:
            log.warning(f'{where}:{line}: the block that runs {path} needs title="{path}", the file readers copy')
        build.included.add(path)
    if is_question_page(page.file.src_path):
        found = {part: pattern.search(source) for part, pattern in QUESTION_PAGE_PARTS.items()}
        for part, pattern in QUESTION_PAGE_PARTS.items():
            if not found[part]:
                log.warning(f"{where}: a question page needs {part} ({pattern.pattern.strip('^$')})")
        # Without a verdict the prediction has no key: it is left out, and the warning fails the build.
        markdown = _with_verdict(markdown, source, where) if found["a verdict"] else pages.PREDICTION.sub("", markdown)
    elif page.file.src_uri == "index.md" and pages.TABLE_MARKER in markdown:
        markdown = _with_question_table(markdown, source, where, files)
    return markdown


def on_build_error(error):
    build.pool.shutdown(cancel_futures=True)


def on_post_build(config):
    build.pool.shutdown()
    if build.pages_seen == build.documentation_pages:  # every page was rendered: the checks saw them all
        for snippet in sorted((build.project / "snippets").glob("*/*.py")):
            path = snippet.relative_to(build.project).as_posix()
            if path not in build.included:
                log.warning(f"{path}: no page includes this snippet")
        if cache_enabled() and CACHE_DIR.is_dir():
            for entry in CACHE_DIR.glob("*.json"):
                if entry.stem not in build.keys_used:
                    entry.unlink()  # stale: its snippet, options or environment changed
    log.info(
        f"snippets: {len(build.executed)} executed ({sum(seconds for _, seconds in build.executed):.2f} s of run time, "
        f"{jobs()} at a time), {len(build.from_cache)} from cache"
    )
