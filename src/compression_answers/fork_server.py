"""Where snippet runs start: a fresh interpreter, one thread, that forks one child per run.

The build renders pages from several threads, and forking a process that has threads can leave a
child holding a lock no thread will release (Python 3.12 warns about it; 3.14's multiprocessing
no longer forks by default). So the build never forks. It starts this server once, with
`subprocess`, and asks it for each run over a Unix socket, passing the run's pipes along. The
server imports what snippets import (torch once, not once per snippet) and stays on one thread:
OpenBLAS, which starts its threads when numpy loads, is loaded here with one, and a module whose
import starts a thread anyway is never imported here again (the server re-executes itself
without it, see `Server.preload`). Neither is one that fixes a path from the environment when it
is imported (`FIXES_PATHS_AT_IMPORT`): each run has its own TMPDIR and HOME, and the build's are
read-only under the run's seal.

For each run the server forks a supervisor, which forks the snippet's child and adopts whatever
the snippet leaves behind (`PR_SET_CHILD_SUBREAPER`): a process that called `setsid()`, or a
daemon that forked twice, is still the supervisor's descendant. When the child exits, when the
build asks, or when the build itself ends (its end of the socket closes), the supervisor kills
the child's group and every descendant, then reports the child's wait status. Nothing a snippet
starts outlives its run, and nothing holds its output pipes open after it.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from compression_answers.runner import (
    SEAL_STATE,
    exec_fresh,
    import_quietly,
    imported_at_top,
    open_view,
    run_in_child,
    view_report,
)
from compression_answers.seal import protect_this_process, seal_run

MESSAGE_LIMIT = 1 << 22  # bytes: a request carries the snippet's code, for its imports
PR_SET_CHILD_SUBREAPER = 36
# Loaded by numpy and scipy with a thread per core, started at import: the server would then fork
# with threads. A child forked from the server keeps one BLAS thread; its numerics do not depend
# on it (every snippet prints the same with one thread and with all: tests/test_snippets.py).
ONE_THREAD_AT_LOAD = {"OPENBLAS_NUM_THREADS": "1"}


class ServerEnded(RuntimeError):
    """The fork server is gone (it crashed, or could not start): the runner's fault, not a snippet's."""


class Started:
    """A run the server started: the child's pid, and the socket its supervisor answers on (the
    pid, then, once it has killed whatever the child left, the child's wait status, and what the
    run read and wrote in the project: `view`, runner.view_report's)."""

    def __init__(self, reply: socket.socket, timeout: float) -> None:
        self.reply = reply
        self.view: dict | None = None
        self._said = b""
        reply.settimeout(timeout)  # the server may first import what the snippet imports
        try:
            while b"\n" not in self._said:
                data = reply.recv(64)
                if not data:
                    break
                self._said += data
        except OSError:
            pass
        reply.settimeout(None)
        words = self._said.split()
        if b"\n" not in self._said or not words:
            reply.close()
            raise ServerEnded("the fork server did not start the run")
        self.pid = int(words[0])

    def fileno(self) -> int:
        return self.reply.fileno()

    def status(self) -> int:
        """The child's wait status (blocks until the supervisor reports it). Raises ServerEnded
        if the supervisor vanished without reporting."""
        while self._said.count(b"\n") < 3:
            data = self.reply.recv(65536)
            if not data:
                raise ServerEnded(
                    "the supervisor of a run ended without reporting its child's exit"
                )
            self._said += data
        _, status, view, _ = self._said.split(b"\n", 3)
        self.view = json.loads(view)
        return int(status)

    def stop(self) -> int:
        """Kill the child and all it started; its wait status."""
        with contextlib.suppress(OSError):
            self.reply.send(b"stop")
        self.reply.settimeout(30)
        try:
            return self.status()
        except (OSError, ServerEnded):
            return -1

    def close(self) -> None:
        self.reply.close()


class ForkServer:
    """The build's side: starts the server on first use, sends it runs, and stops it at `close`."""

    def __init__(self) -> None:
        # The build's /proc entries lead to its working folder, the checkout: no run reaches them.
        protect_this_process()
        self._process: subprocess.Popen | None = None
        self._control: socket.socket | None = None
        self._lock = threading.Lock()

    def _connection(self) -> socket.socket:
        with self._lock:
            if self._process is not None and self._process.poll() is not None:
                raise ServerEnded(f"the fork server exited with code {self._process.returncode}")
            if self._control is None:
                ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
                # Its working folder is not the project: a snippet finds nothing of the checkout
                # through its parent's /proc entry.
                self._process = subprocess.Popen(
                    [sys.executable, "-m", "compression_answers.fork_server", str(theirs.fileno())],
                    pass_fds=[theirs.fileno()],
                    stdin=subprocess.DEVNULL,
                    cwd="/",
                    env={
                        **os.environ,
                        **ONE_THREAD_AT_LOAD,
                    },
                )
                theirs.close()
                self._control = ours
            return self._control

    def _send(self, request: dict, fds: list[int]) -> None:
        try:
            socket.send_fds(self._connection(), [json.dumps(request).encode()], fds)
        except OSError as error:
            raise ServerEnded(f"the fork server is gone: {error}") from None

    def start(
        self,
        request: dict,
        stdout: int,
        stderr: int,
        status: int,
        timeout: float,
        go: int | None = None,
    ) -> Started:
        """Start a run (`request`: path, scratch, threads, width, fresh, code) writing to these
        pipes (a fresh interpreter also reads `go`: see runner.exec_fresh); the caller closes its
        copies of them."""
        ours, theirs = socket.socketpair()
        try:
            fds = [stdout, stderr, status, theirs.fileno(), *([go] if go is not None else [])]
            self._send(request, fds)
        finally:
            theirs.close()
        return Started(ours, timeout)

    def preload(self, modules: list[str]) -> None:
        """Modules a run imported lazily: the server imports them when the next run is asked for,
        and the next children start with them."""
        if modules:
            self._send({"preload": modules}, [])

    def close(self) -> None:
        with self._lock:
            if self._control is not None:
                self._control.close()  # the server reads its end and exits
                self._control = None
            if self._process is not None:
                try:
                    self._process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait()
                self._process = None


# The server's side.


# Modules that compute a folder from TMPDIR when imported and keep it: Inductor's codecache keeps
# its precompiled headers' folder (`_HEADER_DIR`). Imported here, every run would write there,
# in the build's temporary folder, which its seal makes read-only: they are imported in the run.
FIXES_PATHS_AT_IMPORT = ("torch._inductor.codecache",)


def threads() -> int:
    return len(os.listdir("/proc/self/task"))


def children(parent: int) -> list[int]:
    """The pids whose parent is `parent` (read from /proc: this kernel may lack the children file)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue  # it ended while we looked
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == parent:
                found.append(int(entry))
    return found


def kill_descendants() -> None:
    """Kill and reap every process this supervisor adopted, until none is left."""
    while kids := children(os.getpid()):
        for kid in kids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(kid, signal.SIGKILL)
        for kid in kids:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(kid, 0)


def build_environment(environ: dict[str, str]) -> None:
    """The child's environment is the build's, as it was when the run was asked for: not the
    server's, which its imports changed (OPENBLAS_NUM_THREADS, and torch's Inductor writes its
    cache folder into the environment the first time it looks)."""
    os.environ.clear()
    os.environ.update(environ)


def enter_seal(scratch: Path, private: Path, compile_cache: str | None) -> None:
    """In the child: its own HOME and TMPDIR, the build's torch.compile cache where it may share
    it, then the seal (seal.py), whose state it reports."""
    writable = []
    if compile_cache and "TORCHINDUCTOR_CACHE_DIR" not in os.environ:
        os.environ["TORCHINDUCTOR_CACHE_DIR"] = compile_cache
        writable.append(Path(compile_cache))
    os.environ[SEAL_STATE] = seal_run(scratch, private, writable)
    tempfile.tempdir = None  # read again from TMPDIR


def supervise(request: dict, fds: list[int]) -> None:
    """In the supervisor: fork the child, report its pid, wait for it or for a stop, kill all
    it left, report its wait status, and exit."""
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        stdout, stderr, status_fd, reply_fd, *go = fds
        reply = socket.socket(fileno=reply_fd)
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        scratch = Path(request["scratch"])
        view, watch, before = open_view(Path(request["lower"]), scratch, Path(request["layers"]))
        pid = os.fork()
        if pid == 0:
            reply.close()
            build_environment(request["environ"])
            shared = request.get("compile cache")
            enter_seal(Path(request["scratch"]), Path(request["private"]), shared)
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            os.dup2(stdout, 1)
            os.dup2(stderr, 2)
            arguments = (
                request["path"],
                Path(request["scratch"]),
                status_fd,
                request["threads"],
                request["width"],
            )
            if request["fresh"]:
                exec_fresh(*arguments, go=go[0] if go else None)
            run_in_child(*arguments)
        for fd in (stdout, stderr, status_fd, *go):
            os.close(fd)
        reply.sendall(f"{pid}\n".encode())
        exited = os.pidfd_open(pid)
        readable, _, _ = select.select([exited, reply.fileno()], [], [])
        if reply.fileno() in readable:  # asked to stop, or the build ended: its end closed
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)  # what it left in its group
        kill_descendants()  # and what left the group
        report = view_report(view, watch, before, scratch)
        with contextlib.suppress(OSError):
            reply.sendall(f"{status}\n{json.dumps(report)}\n".encode())
    finally:
        os._exit(0)


class Server:
    """The server's loop: one request at a time, each run forked from this one thread."""

    def __init__(
        self,
        control: socket.socket,
        preloaded: list[str],
        refused: list[str],
        pending: tuple[dict, list[int]] | None = None,
    ) -> None:
        self.control = control
        self.preloaded = preloaded
        self.refused = set(refused)
        self.pending = pending  # a run asked for before the server re-executed itself
        # Modules runs imported lazily, imported when the next run is asked for: the build asks
        # from a thread that holds its gate, so no import here runs beside a timing snippet's
        # measurements (a re-execution imports everything again: seconds of a core).
        self.wanted: list[str] = []

    def preload(self, names: list[str], pending: tuple[dict, list[int]] | None = None) -> None:
        """Import `names`; one whose import started a thread, or imported a module that fixes a
        path at import (`FIXES_PATHS_AT_IMPORT`), is never imported here: the server re-executes
        itself, importing again all the others."""
        for name in names:
            if name in self.refused or name in sys.modules:
                continue
            fixed_before = [module for module in FIXES_PATHS_AT_IMPORT if module in sys.modules]
            import_quietly([name])
            fixes_paths = any(
                module in sys.modules and module not in fixed_before
                for module in FIXES_PATHS_AT_IMPORT
            )
            if threads() > 1 or fixes_paths:
                self.refused.add(name)
                state: dict = {"preloaded": self.preloaded, "refused": sorted(self.refused)}
                if pending is not None:  # the run being started goes on in the new server
                    request, fds = pending
                    state["pending"] = {"request": request, "fds": fds}
                    for descriptor in fds:
                        os.set_inheritable(descriptor, True)
                fd = self.control.fileno()
                os.set_inheritable(fd, True)
                os.execv(  # noqa: S606 - this interpreter, this module
                    sys.executable,
                    [
                        sys.executable,
                        "-m",
                        "compression_answers.fork_server",
                        str(fd),
                        json.dumps(state),
                    ],
                )
            if name in sys.modules:
                self.preloaded.append(name)

    def serve(self) -> None:
        protect_this_process()  # its /proc entries, and its supervisors', are no way out
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # supervisors are reaped as they exit
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the build, which stops this
        self.preload(list(self.preloaded))
        if self.pending is not None:
            self.start(*self.pending)
        while True:
            try:
                message, fds, _, _ = socket.recv_fds(self.control, MESSAGE_LIMIT, 5)
            except OSError:
                return
            if not message:
                return  # the build closed its end
            request = json.loads(message)
            if "preload" in request:
                self.wanted += request["preload"]
                continue
            self.start(request, fds)

    def start(self, request: dict, fds: list[int]) -> None:
        """Preload what earlier runs imported and what this one imports at its top, then fork
        its supervisor."""
        wanted, self.wanted = self.wanted, []
        self.preload([*wanted, *imported_at_top(request["code"])], pending=(request, fds))
        if os.fork() == 0:
            self.control.close()
            supervise(request, fds)
        for fd in fds:
            os.close(fd)


def main(argv: list[str]) -> None:
    state = json.loads(argv[1]) if len(argv) > 1 else {}
    control = socket.socket(fileno=int(argv[0]))
    pending = state.get("pending")
    Server(
        control,
        state.get("preloaded", []),
        state.get("refused", []),
        (pending["request"], pending["fds"]) if pending else None,
    ).serve()
    # Finalizing an interpreter that imported torch takes about a second, which every build
    # waited for at its end; the server holds nothing that needs finalizing.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
