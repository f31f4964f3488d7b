"""What a run did in its scratch copy, seen by the kernel (inotify), not by Python: the files
it opened, and the files it added, changed or deleted.

An audit hook sees only what Python itself opens: a `cat` in a subprocess, sqlite3, numpy's or
torch's C readers (`torch.from_file`, `np.fromfile` through a C path) and ctypes go unseen, and a
cache keyed on what the hook saw would keep an output whose data file changed. inotify reports
every open of a file in a watched folder, by any process. Each run has a scratch copy of its own,
so what is opened there during the run is what the run read. When the kernel's queue overflowed,
or a folder could not be watched, the reads are not known (`complete` is False): the output is
then not cached, and the tests keep no outcome for it.

A write is seen the same way, with no walk of the tree before and after: a write of the same
size whose modification time is then restored is still a write (IN_MODIFY, IN_ATTRIB), and it
is seen as it happens, through any path into the scratch copy.
"""

from __future__ import annotations

import ctypes
import functools
import os
import struct
from pathlib import Path

from compression_answers.disposal import dispose

IN_MODIFY = 0x00000002
IN_ATTRIB = 0x00000004
IN_OPEN = 0x00000020
IN_MOVED_FROM = 0x00000040
IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
IN_DELETE = 0x00000200
IN_Q_OVERFLOW = 0x00004000
WATCHED = IN_OPEN | IN_MODIFY | IN_ATTRIB | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE
WRITES = {  # what each event says the run did to the file
    IN_CREATE: "added",
    IN_MOVED_TO: "added",
    IN_DELETE: "deleted",
    IN_MOVED_FROM: "deleted",
    IN_MODIFY: "changed",
    IN_ATTRIB: "changed",
}  # not IN_CLOSE_WRITE: sqlite3 opens a file for writing and writes nothing
IN_ISDIR = 0x40000000
IN_NONBLOCK = 0o4000
IN_CLOEXEC = 0o2000000
EVENT = struct.Struct("iIII")  # wd, mask, cookie, len; then len bytes of name
NOT_WATCHED = {"__pycache__"}

_libc = ctypes.CDLL(None, use_errno=True)


class ScratchWatch:
    """Watches every folder under `root` from `__enter__` to `stop()`: `read` is then the set of
    files (relative to `root`) that any process opened there, `written` what was added, changed
    or deleted there (in words, by path), and `complete` says whether both are whole."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.read: set[str] = set()
        self.written: dict[str, list[str]] = {}  # path -> "added", "changed", "deleted", in order
        self.complete = True
        self._folders: dict[int, str] = {}
        self._fd = -1

    def __enter__(self) -> ScratchWatch:
        self._fd = _libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if self._fd < 0:
            self.complete = False
            return self
        for folder, subfolders, _ in os.walk(self.root):
            subfolders[:] = [d for d in subfolders if d not in NOT_WATCHED]
            wd = _libc.inotify_add_watch(self._fd, os.fsencode(folder), WATCHED)
            if wd < 0:
                self.complete = False  # the watch limit (fs.inotify.max_user_watches), say
                continue
            relative = Path(folder).relative_to(self.root).as_posix()
            self._folders[wd] = "" if relative == "." else relative + "/"
        return self

    def _drain(self) -> None:
        while True:
            try:
                data = os.read(self._fd, 65536)
            except BlockingIOError:
                return
            offset = 0
            while offset < len(data):
                wd, mask, _, length = EVENT.unpack_from(data, offset)
                name = data[offset + EVENT.size : offset + EVENT.size + length].rstrip(b"\0")
                offset += EVENT.size + length
                if mask & IN_Q_OVERFLOW:
                    self.complete = False
                if not name or wd not in self._folders or name == b"__pycache__":
                    continue  # the folder itself, or Python's bytecode cache
                path = self._folders[wd] + os.fsdecode(name)
                if mask & IN_OPEN and not mask & IN_ISDIR:
                    self.read.add(path)
                for event, word in WRITES.items():
                    said = self.written.setdefault(path, []) if mask & event else None
                    if said is not None and word not in said:
                        said.append(word)

    def changes(self) -> list[str]:
        """The writes, as the runner reports them: "added x", "changed y", "deleted z"."""
        said = []
        for path, words in sorted(self.written.items()):
            # What is written into a new file is part of adding it.
            kept = [w for w in words if w != "changed" or "added" not in words]
            if kept:
                said.append(f"{' and '.join(kept)} {path}")
        return said

    def stop(self) -> None:
        """Stop watching (before the runner reads the files itself, to hash them)."""
        if self._fd >= 0:
            self._drain()
            dispose(functools.partial(os.close, self._fd))  # slow, and no longer read
            self._fd = -1

    def __exit__(self, *exc_info) -> None:
        self.stop()
