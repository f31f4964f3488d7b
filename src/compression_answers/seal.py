"""The seal around a snippet's run: every file on the machine read-only but the run's own folders.

In the run's child, before the snippet's first line, `seal` moves the child into a mount
namespace of its own, makes every mount read-only (`mount_setattr`, recursively), and makes
writable again only the run's scratch copy of the project and its private folder (its `HOME`
and `TMPDIR`, which the runner points there). It then enters a further user namespace, where
those settings are locked: the snippet, whatever it calls, cannot make a mount writable again.
A write to the checkout, to the author's home or anywhere else fails at once with EROFS, and a
write inside the scratch copy is seen by the kernel (`reads.ScratchWatch`) and fails the run.

The build, the fork server and the supervisors are not dumpable (`protect_this_process`): a
snippet cannot reach their files through `/proc/<pid>/cwd` or `/proc/<pid>/root`, the way a
snippet once reached the checkout through its parent's working folder.

Where the kernel refuses a namespace (a container that forbids them), the run goes on with the
scratch copy and the kernel's watch on it alone, and `seal` says so: the runner reports which
protection was in force, and the tests check that it is the seal here.

The scratch copy itself costs nothing per file: `overlay_project`, in the run's supervisor, lays
an overlay over an empty folder, with the build's one copy of the project below and a layer of
the run's own above. Every write lands in that layer (the build's copy is never touched), and
the mount, in the supervisor's own mount namespace, is gone when the run's last process is.
"""

from __future__ import annotations

import ctypes
import os
import sys
import tempfile
from pathlib import Path

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
MS_BIND = 4096
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
AT_FDCWD = -100
AT_RECURSIVE = 0x8000
MOUNT_ATTR_RDONLY = 0x00000001
SYS_MOUNT_SETATTR = 442  # x86-64
PR_SET_DUMPABLE = 4
SEALED = "sealed: every mount read-only but the run's own folders"
OVERLAID = "the project an overlay of the build's copy"

_libc = ctypes.CDLL(None, use_errno=True)


class _MountAttr(ctypes.Structure):
    _fields_ = [
        ("attr_set", ctypes.c_uint64),
        ("attr_clr", ctypes.c_uint64),
        ("propagation", ctypes.c_uint64),
        ("userns_fd", ctypes.c_uint64),
    ]


class Refused(OSError):
    """The kernel refused a step of the seal."""


def _check(result: int, step: str) -> None:
    if result != 0:
        error = ctypes.get_errno()
        raise Refused(error, f"{step}: {os.strerror(error)}")


def _set_mount(path: str, recursive: bool, read_only: bool) -> None:
    attributes = _MountAttr(
        attr_set=MOUNT_ATTR_RDONLY if read_only else 0,
        attr_clr=0 if read_only else MOUNT_ATTR_RDONLY,
    )
    result = _libc.syscall(
        SYS_MOUNT_SETATTR,
        AT_FDCWD,
        os.fsencode(path),
        AT_RECURSIVE if recursive else 0,
        ctypes.byref(attributes),
        ctypes.sizeof(attributes),
    )
    _check(result, f"mount_setattr {path}")


def _enter_user_namespace(flags: int) -> None:
    uid, gid = os.getuid(), os.getgid()
    _check(_libc.unshare(flags | CLONE_NEWUSER), "unshare")
    Path("/proc/self/setgroups").write_text("deny")
    Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
    Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")


def _enter_mount_namespace() -> None:
    """A mount namespace of this process's own, whose mounts no other namespace sees."""
    # Root may have the right to one; elsewhere (or root in a container without it) a user
    # namespace grants it.
    if os.getuid() != 0 or _libc.unshare(CLONE_NEWNS) != 0:
        _enter_user_namespace(CLONE_NEWNS)
    _check(_libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "mount private")


def seal(writable: list[Path]) -> str:
    """In the run's child: the machine read-only but `writable`; what is in force, in words."""
    try:
        _enter_mount_namespace()
        for folder in writable:  # a mount of its own, which stays writable below
            path = os.fsencode(folder)
            _check(_libc.mount(path, path, None, MS_BIND | MS_REC, None), f"bind {folder}")
        _set_mount("/", recursive=True, read_only=True)
        # /proc stays writable: a process writes its own user namespace's maps there (below,
        # and Python's own runtime); another process's entries there need ptrace rights.
        for folder in [*writable, Path("/proc")]:
            _set_mount(str(folder), recursive=False, read_only=False)
        # Mounts copied into a namespace owned by a new user namespace keep their read-only
        # flag locked: the snippet, root in it or not, cannot undo the seal.
        _enter_user_namespace(CLONE_NEWNS)
        # The working folder was entered before the writable mounts were laid over it: enter it
        # again by its path, through them.
        os.chdir(os.getcwd())
    except (Refused, OSError) as error:
        return f"not sealed (the kernel refused: {error}); writes are detected in the scratch copy only"
    return SEALED


def overlay_project(lower: Path, target: Path, layers: Path) -> str:
    """In a run's supervisor, before it forks the run: a mount namespace of its own, and in it
    `target` an overlay of `lower` (read-only below) with its writable layer in `layers`; what
    is in force, in words. Raises Refused where the kernel refuses the namespace or the mount."""
    if any(mark in str(path) for path in (lower, layers) for mark in ",:\\"):
        raise Refused(0, f"an overlay's options cannot name {lower} or {layers}")
    _enter_mount_namespace()
    (layers / "upper").mkdir()
    (layers / "work").mkdir()
    options = f"lowerdir={lower},upperdir={layers / 'upper'},workdir={layers / 'work'}"
    _check(
        _libc.mount(b"overlay", os.fsencode(target), b"overlay", 0, os.fsencode(options)),
        f"overlay on {target}",
    )
    return OVERLAID


def seal_run(scratch: Path, private: Path, also: list[Path] | None = None) -> str:
    """Seal this process for a run in `scratch`, with `private`'s folders as its HOME and TMPDIR
    and `also` writable (shared memory stays writable: torch passes tensors between processes
    there)."""
    for name in ("home", "tmp"):
        (private / name).mkdir(exist_ok=True)
    os.environ["HOME"] = str(private / "home")
    os.environ["TMPDIR"] = str(private / "tmp")
    # A child forked from the server inherits the temporary folder the server's `tempfile` read
    # from the build's TMPDIR (read-only below): it must read TMPDIR again.
    tempfile.tempdir = None
    shared_memory = Path("/dev/shm")  # noqa: S108 - not the project's, nor the author's
    shared = [shared_memory] if shared_memory.is_dir() else []
    return seal([scratch, private, *(also or []), *shared])


def protect_this_process() -> None:
    """Make this process's /proc entries unreachable to the runs it starts (see the module)."""
    _libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


def main(argv: list[str]) -> None:
    """`python -m compression_answers.seal <scratch> <private> -- <command>`: run the command
    sealed as a build's run is, with the private folder as its HOME and TMPDIR (the tests run
    `python <snippet>` this way). The command replaces this process: it is the same process, so
    what it prints, and its exit, are the command's own."""
    split = argv.index("--")
    scratch, private = (Path(a) for a in argv[:split])
    command = argv[split + 1 :]
    state = seal_run(scratch, private)
    if state != SEALED:
        print(f"compression_answers.seal: {state}", file=sys.stderr)
    os.execvp(command[0], command)  # noqa: S606 - the command the caller gave


if __name__ == "__main__":
    main(sys.argv[1:])
