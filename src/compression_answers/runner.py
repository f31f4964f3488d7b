"""Running one snippet as `python <path>` would, in a child forked from this process.

The child starts with this process's imports (torch is imported once per build, not once per
snippet). A snippet that times something starts a fresh interpreter instead (the child execs
`python -m compression_answers.fresh_child`): a child forked from the build's process inherits
its memory allocator's state, and with it whether a large temporary is served from the heap or
from fresh pages, which changed torchao's eager int8 time threefold from one build to the next
while `python <path>` gave the same time every run.

The child runs in its own process group, in a scratch copy of the project, with every
descriptor it did not create closed. At its end or at its time limit, the whole group is killed
and reaped, so nothing outlives it. What it printed must be UTF-8 text without terminal escape
codes, and under a size limit. A file it added, changed or deleted in its copy of the project is
a failure that names the file. The files of the project it read, by any of its processes (seen
by the kernel: reads.py), are reported, so that a cache can tell when an output is stale.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import hashlib
import importlib
import json
import os
import re
import runpy
import select
import selectors
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from compression_answers.disposal import dispose
from compression_answers.reads import ScratchWatch
from compression_answers.seal import overlay_project
from compression_answers.settings import OUTPUT_LIMIT_BYTES

if TYPE_CHECKING:
    from compression_answers.fork_server import ForkServer, Started

# What a scratch copy of the project leaves out: nothing a snippet may read lives there.
NOT_COPIED = {
    ".git",
    ".venv",
    "site",
    ".cache",
    "node_modules",
    "artifacts",
    "__pycache__",
    ".pytest_cache",
}
ESCAPE_CODE = re.compile(r"\x1b[\[\]()#;?]*[0-9;]*[A-Za-z]?")
SEAL_STATE = "COMPRESSION_ANSWERS_SEAL"  # what seal.seal put in force, for the child's report
DONE = b"\x00done\x00"  # written by the child after the snippet's last line ran
READY = b"\x01"  # a timing snippet has reached its first measurement, and waits
GO = b"\x02"  # the build's answer to READY: the machine is the snippet's alone
TIMES_ITSELF = re.compile(r"\btorch\.utils\.benchmark\b|\bfrom torch\.utils import benchmark\b")


# A snippet that names one of these sets the CPU's instruction paths itself: torch.compile's
# cache, whose key does not hold them, must not hand its graphs to the build's other runs.
SETS_KERNELS = re.compile(
    r"\b(?:ATEN_CPU_CAPABILITY|ONEDNN_MAX_CPU_ISA|MKL_ENABLE_INSTRUCTIONS|FBGEMM_ENABLE_INSTRUCTIONS)\b"
)


def shares_compile_cache(code: str) -> bool:
    """Whether the run may use the build's shared torch.compile cache (see SETS_KERNELS)."""
    return SETS_KERNELS.search(code) is None


def times_itself(code: str) -> bool:
    """Whether a snippet measures time: then it runs alone, in a fresh interpreter."""
    return TIMES_ITSELF.search(code) is not None


class SnippetFailed(Exception):
    """A snippet raised, crashed, hung, or printed or wrote what it must not; the message says which."""


@dataclass
class Ran:
    """What one run of a snippet left: its output and the project files it read, with their hashes."""

    output: str
    read: dict[str, str] = field(default_factory=dict)  # path relative to the project -> sha256
    seconds: float = 0.0
    complete: bool = True  # whether `read` holds every file the run opened (see reads.py)
    seal: str = ""  # what protected the machine from the run (seal.py), in words
    view: str = ""  # how the run saw the project: an overlay, or a linked copy (open_view)
    code: str = ""  # the snippet's source as it ran (from the scratch copy)


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "absent"


def snippet_file(project: Path, path: str) -> Path:
    """The snippet's file, which must lie inside the project, links resolved; raises SnippetFailed."""
    resolved = (project / path).resolve()
    if not resolved.is_relative_to(project.resolve()):
        raise SnippetFailed(
            f"{path} resolves to {resolved}, outside the project: only files of the project run"
        )
    if not resolved.is_file():
        raise SnippetFailed(f"{path} does not exist")
    return resolved


def text_of(stdout: bytes, path: str) -> str:
    """A snippet's output as text; raises SnippetFailed for what a page must not show."""
    if len(stdout) > OUTPUT_LIMIT_BYTES:
        raise SnippetFailed(
            f"{path} printed {len(stdout):,} bytes, over the limit of {OUTPUT_LIMIT_BYTES:,}"
        )
    try:
        text = stdout.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SnippetFailed(
            f"{path} printed bytes that are not UTF-8 (at byte {error.start}): print text"
        ) from None
    escape = ESCAPE_CODE.search(text)
    if escape:
        line = text.count("\n", 0, escape.start()) + 1
        raise SnippetFailed(
            f"{path} printed a terminal escape code ({escape[0]!r}) on output line {line}: print plain text"
        )
    return text


def traceback_only(stderr: str) -> str:
    """The traceback, with the library lines printed just before it (they often explain it)."""
    start = stderr.rfind("Traceback (most recent call last):")
    if start < 0:
        return stderr
    before = (
        stderr[:start].rstrip("\n").splitlines()[-3:]
    )  # e.g. torchao's "Skipping import of cpp extensions"
    return "\n".join([*before, stderr[start:]]) if before else stderr[start:]


# Modules whose import registers Inductor passes for every later compile in the process: in the
# build's process they would change what another snippet's torch.compile generates (a torchao
# int8 matmul lowered to oneDNN's qlinear instead of _int_mm), which `python <path>` never sees.
# A snippet that imports one imports it in its own child.
NOT_IMPORTED_BEFORE_FORK = ("torchao.quantization.pt2e", "torchao.prototype")


def imported_before_fork(name: str) -> bool:
    """Whether the build's process may import `name` for its children to share."""
    return not any(name == p or name.startswith(p + ".") for p in NOT_IMPORTED_BEFORE_FORK)


def import_quietly(names: list[str]) -> None:
    """Import what may be imported before a fork; a module that fails is the child's to report."""
    for name in names:
        if name and name not in sys.modules and imported_before_fork(name):
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001, S112 - the child raises it again, where it is reported
                continue


def imported_at_top(code: str) -> list[str]:
    """The modules the snippet imports at its top: the fork server imports them first, so that
    its children share the cost."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []  # the child reports it, with file and line
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


# A scratch folder's name says which process made it: `<kind>-<pid>-<random>`.
SCRATCH_NAME = re.compile(
    r"^(?:snippet|snippet-private|snippet-layers|build|python|python-private)-(?P<pid>\d+)-"
)


def scratch_folder(prefix: str) -> Path:
    """A new folder in the temporary folder, named for this process (see `sweep_dead_scratch`)."""
    return Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-"))


def sweep_dead_scratch() -> list[str]:
    """Delete the scratch folders whose process has died (a build killed mid-run leaves them);
    the names of those deleted."""
    swept = []
    temporary = Path(tempfile.gettempdir())
    for entry in temporary.iterdir():
        named = SCRATCH_NAME.match(entry.name)
        if named is None or not entry.is_dir():
            continue
        try:
            os.kill(int(named["pid"]), 0)
        except ProcessLookupError:
            shutil.rmtree(entry, ignore_errors=True)
            swept.append(entry.name)
        except PermissionError:
            continue  # alive, another user's
    return swept


def scratch_copy(project: Path, prefix: str = "snippet-") -> Path:
    """A copy of the project for a snippet to run in: what it writes there never reaches the
    checkout. Refused, naming TMPDIR, when the temporary folder lies inside the project: the
    copy would copy itself, level after level."""
    temporary = Path(tempfile.gettempdir()).resolve()
    if temporary.is_relative_to(project.resolve()):
        raise SnippetFailed(
            f"the temporary folder {temporary} lies inside the project {project.resolve()}: set "
            "TMPDIR to a folder outside it (snippets run in copies of the project made there)"
        )
    scratch = scratch_folder(prefix)
    for entry in project.iterdir():
        if entry.name in NOT_COPIED:
            continue
        if entry.is_dir():
            shutil.copytree(
                entry,
                scratch / entry.name,
                symlinks=True,
                ignore=shutil.ignore_patterns(*NOT_COPIED),
            )
        else:
            shutil.copy2(entry, scratch / entry.name, follow_symlinks=False)
    return scratch


def open_view(lower: Path, scratch: Path, layers: Path) -> tuple[str, ScratchWatch, dict | None]:
    """In a run's supervisor: the project made visible in the empty folder `scratch`, as an
    overlay of `lower` (seal.overlay_project: no cost per file) or, where the kernel refuses one,
    as a linked copy; the kernel's watch on it; and, where the watch could not be set up, the
    tree's state to compare after the run. The first item says which, in words."""
    try:
        view = overlay_project(lower, scratch, layers)
    except OSError as refused:
        shutil.copytree(lower, scratch, symlinks=True, copy_function=os.link, dirs_exist_ok=True)
        view = (
            f"the project a linked copy of the build's (the kernel refused an overlay: {refused})"
        )
    watch = ScratchWatch(scratch).__enter__()
    return view, watch, None if watch.complete else tree_state(scratch)


def view_report(view: str, watch: ScratchWatch, before: dict | None, scratch: Path) -> dict:
    """In the supervisor, once the run and all it started are gone: what it read and wrote in
    the project (`written` None where the kernel's watch overflowed: not known)."""
    watch.stop()
    if before is not None:
        written: list[str] | None = changes(before, tree_state(scratch))
    else:
        written = watch.changes() if watch.complete else None
    return {
        "view": view,
        "read": sorted(watch.read),
        "written": written,
        "complete": watch.complete,
    }


def tree_state(root: Path) -> dict[str, tuple[int, int]]:
    state = {}
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = [d for d in subdirectories if d not in NOT_COPIED]
        for name in files:
            path = Path(directory) / name
            stat = path.lstat()
            state[path.relative_to(root).as_posix()] = (stat.st_size, stat.st_mtime_ns)
    return state


def changes(before: dict, after: dict) -> list[str]:
    added = [f"added {p}" for p in sorted(after.keys() - before.keys())]
    deleted = [f"deleted {p}" for p in sorted(before.keys() - after.keys())]
    changed = [
        f"changed {p}" for p in sorted(before.keys() & after.keys()) if before[p] != after[p]
    ]
    return added + deleted + changed


def run_in_child(
    path: str,
    scratch: Path,
    status_fd: int,
    threads: int | None,
    width: int | None,
    go: int | None = None,
) -> None:
    """In the child: become `python <path>` in the scratch copy, run, and exit without returning.
    `go`, a timing snippet's pipe from the build, stays open for its first measurement."""
    code = 1
    imported_before = set(sys.modules)
    try:
        os.setpgid(0, 0)  # a group of its own: killing it kills whatever the snippet started
        keep = {0, 1, 2, status_fd} | ({go} if go is not None else set())
        for fd in map(int, os.listdir("/proc/self/fd")):
            if fd not in keep:
                with contextlib.suppress(OSError):  # the listing's own descriptor is gone by now
                    os.close(fd)
        os.chdir(scratch)
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.argv = [path]
        sys.path[0] = str((scratch / path).parent)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        if threads:  # snippets running side by side must not fight over the cores
            os.environ["OMP_NUM_THREADS"] = str(threads)
            if "torch" in sys.modules:
                sys.modules["torch"].set_num_threads(threads)
        if width:
            os.environ["COLUMNS"] = str(width)
        prefix = str(scratch) + os.sep

        def tried(event: str, args: tuple) -> None:
            # A file it looked for: one that is absent now is in the cache's key as absent.
            if event == "open" and isinstance(args[0], (str, bytes)) and len(looked_for) < 10_000:
                opened = os.path.abspath(os.fsdecode(args[0]))
                if opened.startswith(prefix):
                    looked_for.add(opened[len(prefix) :])

        looked_for: set[str] = set()
        sys.addaudithook(tried)
        try:
            runpy.run_path(path, run_name="__main__")  # __main__ is the snippet: its classes pickle
            code = 0
        except SystemExit as exit_:
            if exit_.code is None or isinstance(exit_.code, int):
                code = exit_.code or 0
            else:  # sys.exit("message"), as python does: print it, exit with 1
                print(exit_.code, file=sys.stderr)
                code = 1
        except BaseException as error:  # noqa: BLE001
            frames = traceback.extract_tb(error.__traceback__)
            first = next((i for i, frame in enumerate(frames) if frame.filename == path), 0)
            tb = error.__traceback__
            for _ in range(first):
                tb = tb.tb_next if tb else None
            traceback.print_exception(type(error), error, tb)
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        report = {
            "modules": sorted(set(sys.modules) - imported_before),
            "code": code,
            "kernels": kernels_chosen_before_the_snippet(),
            "seal": os.environ.get(SEAL_STATE, ""),
            "looked for": sorted(looked_for),
        }
        os.write(status_fd, DONE + json.dumps(report).encode())
    finally:
        os._exit(code)


def exec_fresh(
    path: str,
    scratch: Path,
    status_fd: int,
    threads: int | None,
    width: int | None,
    go: int | None = None,
) -> None:
    """In the forked child: replace this process by a fresh interpreter that runs the snippet
    (same pid, group and pipes), and never return. With `go`, the snippet's first measurement
    writes READY on the status pipe and waits for a byte on `go`: the build lets other snippets
    run until then, and runs what follows alone (see `wait_for_go_at_first_measurement`)."""
    try:
        os.set_inheritable(status_fd, True)
        if go is not None:
            os.set_inheritable(go, True)
        arguments = [path, str(scratch), str(status_fd), str(threads or 0), str(width or 0)]
        arguments.append(str(go if go is not None else -1))
        os.execv(  # noqa: S606 - this interpreter, with arguments the runner builds
            sys.executable, [sys.executable, "-m", "compression_answers.fresh_child", *arguments]
        )
    finally:  # only if exec failed: the parent reports the exit, with what stderr says
        traceback.print_exc()
        os._exit(127)


# What a timing snippet measures with: the first call of any of these waits for the build's GO.
TIMER_METHODS = ("timeit", "repeat", "autorange", "blocked_autorange", "adaptive_autorange")


def wait_for_go_at_first_measurement(status_fd: int, go: int) -> None:
    """In a fresh interpreter, before the snippet: make the first measurement it takes with
    `torch.utils.benchmark.Timer` say READY and wait until the build says go (exit quietly if
    the build went away). What comes before it (imports, training, compiling) runs beside other
    snippets that do not time; the measurements, and all that follows, run alone."""
    from torch.utils.benchmark import Timer  # the snippet imports torch too: nothing is added

    waited: list[bool] = []

    def gated(method: Callable) -> Callable:
        @functools.wraps(method)
        def measured(*args, **kwargs):
            if not waited:
                waited.append(True)
                os.write(status_fd, READY)
                if os.read(go, 1) != GO:
                    os._exit(0)  # the build stopped: nothing was measured
                os.close(go)
            return method(*args, **kwargs)

        return measured

    for name in TIMER_METHODS:
        if hasattr(Timer, name):
            setattr(Timer, name, gated(getattr(Timer, name)))


# ATen's kernel choices for x86-64, oldest first (torch.backends.cpu.get_cpu_capability's names).
CAPABILITIES = ("DEFAULT", "AVX2", "AVX512")


def kernels_chosen_before_the_snippet() -> str | None:
    """Why the snippet's own ATEN_CPU_CAPABILITY did not take effect, or None.

    A snippet pins torch's kernels by setting it before torch first computes (see CONTRIBUTING).
    A child forked from a process where torch had already computed inherits that process's
    choice instead, and would print what `python <path>` does not."""
    torch = sys.modules.get("torch")
    wanted = os.environ.get("ATEN_CPU_CAPABILITY", "").upper()
    if torch is None or wanted not in CAPABILITIES:
        return None
    chosen = torch.backends.cpu.get_cpu_capability()
    if chosen in CAPABILITIES and CAPABILITIES.index(chosen) > CAPABILITIES.index(wanted):
        return (
            f"it sets ATEN_CPU_CAPABILITY={wanted.lower()}, but torch had already chosen its "
            f"{chosen} kernels in the process the runner forked it from"
        )
    return None


def _describe_exit(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        return f"was killed by {name}"
    return f"exited with code {os.WEXITSTATUS(status)}"


def run_snippet(
    path: str,
    project: Path,
    timeout: float,
    threads: int | None = None,
    returncode: int = 0,
    width: int | None = None,
    pristine: Path | None = None,
    server: ForkServer | None = None,
    compile_cache: Path | None = None,
    alone: Callable[[], AbstractContextManager] = contextlib.nullcontext,
    importing: Callable[[], AbstractContextManager] = contextlib.nullcontext,
) -> Ran:
    """What `python <path>`, run from the project's root, prints to stdout; raises SnippetFailed.

    `pristine`, a build's one copy of the project, is what each run sees, through an overlay of
    its own (runner.open_view); without it, the run has a copy of its own.
    `server`, a build's fork server, starts the run; without one, a server is started for it.
    `compile_cache`, a build's torch.compile cache, is shared by its runs that set no kernels;
    without it, or for one that does, the run's cache is its own, empty (a reader's first run).
    `alone`, for a snippet that times something: held from its first measurement to its end
    (the build's gate: no other snippet runs meanwhile); `importing`, held until then (as for a
    snippet that does not time: never beside one that is measuring)."""
    from compression_answers.fork_server import ForkServer  # it imports this module

    snippet_file(project, path)
    own_server = server is None
    server = server or ForkServer()
    lower = pristine if pristine is not None else scratch_copy(project)
    # The code that runs is the copy's: a file saved since the copy was made did not run.
    code = (lower / path).read_text(encoding="utf-8")
    scratch = scratch_folder("snippet-")  # where its supervisor shows it the project
    layers = scratch_folder("snippet-layers-")  # the overlay's own: what the run wrote lands here
    private = scratch_folder("snippet-private-")  # its HOME and TMPDIR
    try:
        started = time.perf_counter()
        out_read, out_write = os.pipe()
        err_read, err_write = os.pipe()
        status_read, status_write = os.pipe()
        request = {
            "path": path,
            "scratch": str(scratch),
            "lower": str(lower),
            "layers": str(layers),
            "threads": threads,
            "width": width,
            "fresh": times_itself(code),
            "code": code,
            "private": str(private),
            "environ": dict(os.environ),
            "compile cache": str(compile_cache)
            if compile_cache is not None and shares_compile_cache(code)
            else None,
        }
        go_read, go_write = os.pipe() if request["fresh"] else (None, None)
        imports = importing() if go_write is not None else contextlib.nullcontext()
        imports.__enter__()
        try:
            child = server.start(
                request, out_write, err_write, status_write, timeout + 120, go=go_read
            )
        except BaseException:
            imports.__exit__(None, None, None)
            for fd in (out_read, err_read, status_read, go_write):
                if fd is not None:
                    os.close(fd)
            raise
        finally:
            for fd in (out_write, err_write, status_write, go_read):
                if fd is not None:
                    os.close(fd)
        chunks: dict[int, list[bytes]] = {out_read: [], err_read: [], status_read: []}
        if go_write is None:
            chunks, status, view = _collect(child, path, chunks, timeout)
        else:
            try:
                said = _ready(child, path, status_read, timeout, go_write)
            finally:
                imports.__exit__(None, None, None)
            left = max(0.0, timeout - (time.perf_counter() - started))  # one limit for the run
            if said == READY:
                with alone():
                    os.write(go_write, GO)
                    os.close(go_write)
                    chunks, status, view = _collect(child, path, chunks, left)
            else:  # it ended before it measured anything: its exit says why
                os.close(go_write)
                chunks[status_read].append(said)
                chunks, status, view = _collect(child, path, chunks, left)
        seconds = time.perf_counter() - started
        stdout, stderr = (
            b"".join(chunks[out_read]),
            b"".join(chunks[err_read]).decode("utf-8", "replace"),
        )
        report_bytes = b"".join(chunks[status_read])
        report = json.loads(report_bytes[len(DONE) :]) if report_bytes.startswith(DONE) else None
        if report is not None and not own_server:
            server.preload(report["modules"])  # imported lazily: the next children start with them
        if len(stdout) > OUTPUT_LIMIT_BYTES:  # it may have been stopped for it: say so first
            text_of(stdout, path)
        if report is None:
            raise SnippetFailed(
                f"{path} {_describe_exit(status)} before its last line ran (a crash, or os._exit)"
                + (f":\n{traceback_only(stderr)}" if stderr.strip() else "")
            )
        if report["code"] != returncode:
            expected = "" if returncode == 0 else f" (the block expects {returncode})"
            if "Traceback (most recent call last):" in stderr:
                raise SnippetFailed(f"{path} raised{expected}:\n{traceback_only(stderr)}")
            raise SnippetFailed(
                f"{path} exited with code {report['code']}{expected}"
                + (f":\n{stderr}" if stderr.strip() else "")
            )
        if report.get("kernels"):
            raise SnippetFailed(
                f"{path} ran with other kernels than `python {path}` would: {report['kernels']}"
            )
        if view is None:
            raise SnippetFailed(f"{path}: its supervisor did not say what it read and wrote")
        written = view["written"]
        if written is None:
            raise SnippetFailed(
                f"{path}: the kernel's watch on its scratch copy overflowed (too many file "
                "events): what it wrote cannot be checked. Snippets only print"
            )
        if written:
            raise SnippetFailed(
                f"{path} changed the project it ran in: {'; '.join(written)}. Snippets only print"
            )
        text = text_of(stdout, path)
        # Nothing was written (or the run failed above): what it read is as the copy holds it.
        read = {
            name: file_hash(lower / name)
            for name in view["read"]
            if (lower / name).is_file() and name != path
        }
        for name in report["looked for"]:
            if not (lower / name).exists():
                read[name] = "absent"  # added later, it would change what the run prints
        return Ran(
            text, read, seconds, view["complete"], report.get("seal", ""), view["view"], code
        )
    finally:
        # Off the run's path: the next snippet need not wait for the kernel to unlink a tree.
        for folder in (scratch, layers, private, *([] if lower is pristine else [lower])):
            dispose(functools.partial(shutil.rmtree, folder, ignore_errors=True))
        if own_server:
            server.close()


def _ready(child: Started, path: str, status_read: int, timeout: float, go_write: int) -> bytes:
    """What a fresh interpreter first said on its status pipe: READY at its first measurement,
    or the start of its report (or nothing) if it ended before it measured anything."""
    readable, _, _ = select.select([status_read], [], [], timeout)
    if not readable:
        os.close(go_write)
        child.stop()
        child.close()
        raise SnippetFailed(
            f"{path}: still running after {timeout:g} s, before its first measurement, stopped "
            "(the limit is SNIPPET_TIMEOUT)"
        )
    return os.read(status_read, 1)


def _collect(
    child: Started, path: str, chunks: dict[int, list[bytes]], timeout: float
) -> tuple[dict[int, list[bytes]], int, dict | None]:
    """Read the child's pipes until its supervisor reports its exit and the pipes close, or its
    time is up; what each pipe gave, the child's wait status, and what it read and wrote in the
    project (runner.view_report). The supervisor kills what the child left before it reports, so
    no descendant holds the pipes; the time limit holds anyway."""
    deadline = time.monotonic() + timeout
    status = None
    try:
        with selectors.DefaultSelector() as selector:
            for fd in chunks:
                selector.register(fd, selectors.EVENT_READ)
            selector.register(child, selectors.EVENT_READ)
            while selector.get_map():
                if time.monotonic() > deadline:
                    for key in list(selector.get_map().values()):
                        selector.unregister(key.fileobj)
                    for fd in chunks:
                        os.close(fd)
                    child.stop()
                    raise SnippetFailed(
                        f"{path}: still running after {timeout:g} s, stopped (the limit is SNIPPET_TIMEOUT)"
                    )
                for key, _ in selector.select(0.05):
                    if key.fileobj is child:
                        selector.unregister(child)
                        status = child.status()
                        continue
                    data = os.read(key.fd, 65536)
                    if data:
                        chunks[key.fd].append(data)
                        if sum(map(len, chunks[key.fd])) > 4 * OUTPUT_LIMIT_BYTES:
                            child.stop()  # enough to know it is over the limit
                    else:
                        selector.unregister(key.fd)
                        os.close(key.fd)
    finally:
        child.close()
    return chunks, status if status is not None else -1, child.view
