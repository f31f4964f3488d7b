"""One build's snippet runs: started early, side by side, each output from the cache or a fresh run.

The MkDocs plugin makes a `Runs` before every build and starts every included snippet before the
first page renders. A snippet that times something (it uses `torch.utils.benchmark`) runs alone:
no other snippet runs while it does, so its timings are taken on an idle core. A build without
the plugin (Zensical) gets one the first time a block asks: the same runner, cache and time
limit, each snippet run when its block renders.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from compression_answers import disposal
from compression_answers import settings as settings_module
from compression_answers.cache import Cache, environment, key
from compression_answers.fork_server import ForkServer
from compression_answers.page_rules import Include, executed_includes
from compression_answers.runner import (
    Ran,
    SnippetFailed,
    run_snippet,
    scratch_copy,
    scratch_folder,
    snippet_file,
    sweep_dead_scratch,
    times_itself,
)

CACHE_DIR = Path(".cache") / "executed-snippets"


class NotRun(RuntimeError):
    """A build that executes nothing (SNIPPET_EXECUTE=off: the site from shards' merged caches)
    found no entry for a snippet: no shard ran it."""


class RunnerFault(RuntimeError):
    """The runner or the cache failed (not the snippet): the build stops, naming what it ran
    (the MkDocs plugin reports it by its message, as a PluginError)."""


class Gate:
    """Snippets run side by side, except that one that times runs alone. A timing run waiting
    for the others to finish holds back new ones, so it is not put off for the whole build."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._running = 0
        self._alone_waiting = 0
        self._alone = False

    @contextlib.contextmanager
    def side_by_side(self) -> Iterator[None]:
        with self._changed:
            self._changed.wait_for(lambda: not self._alone and not self._alone_waiting)
            self._running += 1
        try:
            yield
        finally:
            with self._changed:
                self._running -= 1
                self._changed.notify_all()

    @contextlib.contextmanager
    def alone(self) -> Iterator[None]:
        with self._changed:
            self._alone_waiting += 1
            self._changed.wait_for(lambda: not self._alone and self._running == 0)
            self._alone_waiting -= 1
            self._alone = True
        try:
            yield
        finally:
            with self._changed:
                self._alone = False
                self._changed.notify_all()


class Runs:
    """Every snippet run of one build, keyed by path and the block's options."""

    def __init__(
        self,
        project: Path,
        settings: settings_module.Settings | None = None,
        cache_dir: Path = CACHE_DIR,
        progress: Callable[[str], None] | None = None,
        server: ForkServer | None = None,
        portable: bool = False,
    ) -> None:
        self.project = project.resolve()
        sweep_dead_scratch()  # what builds killed mid-run left in the temporary folder
        # Where runs start (see fork_server.py); one the caller passes outlives these runs (the
        # plugin keeps one across `mkdocs serve`'s rebuilds, torch imported once).
        self.own_server = server is None
        self.server = server or ForkServer()
        self.settings = settings or settings_module.read()
        # A shard's runs, and a build from shards' caches, key by what machines of one kind share.
        self.portable = portable or not self.settings.execute
        # Once per build: reading package metadata is not free.
        self.environment = environment(self.portable)
        self.cache = Cache(self.project / cache_dir, self.project)
        # Told one line per snippet that ran (not one from the cache): a first build is long.
        self.progress = progress
        self.started = time.perf_counter()
        self.pool = ThreadPoolExecutor(max_workers=self.settings.jobs, thread_name_prefix="snippet")
        self.futures: dict[tuple[str, tuple], Future] = {}
        self.lock = threading.Lock()
        self.gate = Gate()
        self.executed: list[tuple[str, float]] = []  # (path, seconds it ran)
        self.from_cache: list[str] = []
        self.seal = ""  # what protected the machine from the runs (seal.py), in words
        self.view = ""  # how they saw the project (runner.open_view), in words
        # Set by the MkDocs plugin while a page renders, so that a failure names the page and line.
        self.page: tuple[str, str] | None = None  # (docs/<page>.md, its source)
        # Every output given, in order, by (path, returncode, width): what a page's render used.
        self.given: list[tuple[tuple[str, int, int | None], str]] = []
        self._compile_cache: Path | None = None
        # One copy of the project per build: each run sees it through an overlay (or, where the
        # kernel refuses one, a copy linked from it).
        self._pristine: Path | None = None

    def start(self, path: str, returncode: int = 0, width: int | None = None) -> Future:
        options = (("returncode", returncode), ("width", width))
        with self.lock:
            if (path, options) not in self.futures:
                self.futures[path, options] = self.pool.submit(
                    self._output, path, returncode, width
                )
            return self.futures[path, options]

    def output(self, path: str, returncode: int = 0, width: int | None = None) -> str:
        """What the snippet printed; raises SnippetFailed."""
        output = self.start(path, returncode, width).result().output
        self.given.append(((path, returncode, width), output))
        return output

    def included_outputs(self, source: str, where: str) -> list[tuple[Include, str]]:
        """Each snippet the page `where` (its markdown `source`) includes, with what it printed;
        one that is missing or failed is left out (its block and page report that). A fault of
        the runner or the cache raises RunnerFault, naming the page, the include's line and the
        snippet."""
        found = []
        for include in executed_includes(source, self.project):
            if not (self.project / include.path).is_file():
                continue
            try:
                output = self.output(include.path, include.returncode, include.width)
            except (SnippetFailed, NotRun):  # the build reports a NotRun before any page
                continue
            except Exception as error:  # any other fault is the runner's or the cache's
                raise RunnerFault(
                    f"{where}:{include.line}: {include.path}: the runner failed: "
                    f"{type(error).__name__}: {error}"
                ) from error
            found.append((include, output))
        return found

    def _output(self, path: str, returncode: int, width: int | None) -> Ran:
        code = snippet_file(self.project, path).read_text(encoding="utf-8")
        options = self.options(path, returncode, width)
        entry_key = key(code, options, self.environment)
        if self.settings.cache:
            cached = self.cache.get(entry_key)
            if cached is not None:
                self.from_cache.append(path)
                return cached
        if not self.settings.execute:
            raise NotRun(path)
        pristine = self.pristine()
        run = functools.partial(
            run_snippet,
            path,
            self.project,
            self.settings.timeout,
            threads=options["threads"],
            returncode=returncode,
            width=width,
            pristine=pristine,
            server=self.server,
            compile_cache=self.compile_cache(),
        )
        if times_itself(code):  # alone from its first measurement
            ran = run(alone=self.gate.alone, importing=self.gate.side_by_side)
        else:
            with self.gate.side_by_side():
                ran = run()
        with self.lock:
            self.executed.append((path, ran.seconds))
            self.seal = ran.seal
            self.view = ran.view
            done, started = len(self.executed) + len(self.from_cache), len(self.futures)
        if self.progress is not None:
            elapsed = time.perf_counter() - self.started
            self.progress(
                f"snippet {done} of {started} ran: {path} ({ran.seconds:.1f} s; "
                f"{elapsed:.0f} s into the build)"
            )
        if self.settings.cache and ran.complete:  # what it read is not all known: not kept
            # Under the code that ran: a snippet saved during the build ran as it was before.
            self.cache.put(key(ran.code, options, self.environment), path, ran, options)
        return ran

    def options(self, path: str, returncode: int, width: int | None) -> dict:
        """The block's options as the key holds them, with the torch threads the run gets: one
        when runs share the cores, and always one in a shard (its machine's cores are not the
        final build's)."""
        threads = 1 if self.settings.jobs > 1 or self.portable else None
        return {"path": path, "returncode": returncode, "width": width, "threads": threads}

    def not_run(self) -> list[str]:
        """The snippets started that no run and no cache entry answered (SNIPPET_EXECUTE=off)."""
        missing = set()
        for (path, _), future in list(self.futures.items()):
            if isinstance(future.exception(), NotRun):
                missing.add(path)
        return sorted(missing)

    def compile_cache(self) -> Path:
        """The build's torch.compile cache, shared by its runs (runner.shares_compile_cache), as
        a reader's runs share theirs: a graph compiled by one snippet is not compiled again."""
        with self.lock:
            if self._compile_cache is None:
                self._compile_cache = scratch_folder("build-")
                atexit.register(shutil.rmtree, self._compile_cache, True)
            return self._compile_cache

    def pristine(self) -> Path:
        with self.lock:
            if self._pristine is None:
                self._pristine = scratch_copy(self.project, prefix="build-")
                atexit.register(
                    shutil.rmtree, self._pristine, True
                )  # also where no plugin shuts down (Zensical)
            return self._pristine

    def shutdown(self, cancel: bool = False) -> None:
        """End the runs: wait for them, or with `cancel` (a failed build) drop those not started
        and let the running ones end on their own; the scratch folders go once none is left."""
        self.pool.shutdown(wait=not cancel, cancel_futures=cancel)
        if self.own_server:
            self.server.close()
        folders = [f for f in (self._pristine, self._compile_cache) if f is not None]
        self._pristine = self._compile_cache = None

        def remove() -> None:
            self.pool.shutdown(wait=True)
            disposal.settle()  # the runs' own folders first: they lie over these, or link them
            for folder in folders:
                shutil.rmtree(folder, ignore_errors=True)

        if cancel:  # a failed build, or `mkdocs serve`'s next one, need not wait for them
            threading.Thread(target=remove, daemon=True).start()
        else:
            remove()


_current: Runs | None = None


def current(project: Path | None = None) -> Runs:
    """The build's runs; made here, for the working directory's project, when no plugin made
    them. The fence finds them here: superfences gives a fence no other way to the build."""
    global _current  # noqa: PLW0603 - one Runs per build, replaced by the plugin before each build
    if _current is None:
        _current = Runs(project or Path.cwd())
        atexit.register(_current.server.close)  # no plugin ends these runs (Zensical)
    return _current


def begin(project: Path, **options) -> Runs:
    """New runs for a new build (the plugin calls this before each build), with `Runs`' options."""
    global _current  # noqa: PLW0603
    if _current is not None:
        _current.shutdown(cancel=True)
    _current = Runs(project, **options)
    return _current


def end() -> None:
    """The build is over (the plugin calls this last): the next build, or a renderer without the
    plugin in this process, makes runs of its own, for its own project."""
    global _current  # noqa: PLW0603
    if _current is not None:
        _current.shutdown(cancel=True)
    _current = None


__all__ = ["NotRun", "Runs", "SnippetFailed", "begin", "current", "end"]
