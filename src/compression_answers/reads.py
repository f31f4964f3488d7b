"""Which files of a scratch copy a run opened, seen by the kernel (inotify), not by Python.

An audit hook sees only what Python itself opens: a `cat` in a subprocess, sqlite3, numpy's or
torch's C readers (`torch.from_file`, `np.fromfile` through a C path) and ctypes go unseen, and a
cache keyed on what the hook saw would keep an output whose data file changed. inotify reports
every open of a file in a watched folder, by any process. Each run has a scratch copy of its own,
so what is opened there during the run is what the run read. When the kernel's queue overflowed,
or a folder could not be watched, the reads are not known (`complete` is False): the output is
then not cached, and the tests keep no outcome for it.
"""

from __future__ import annotations

import ctypes
import os
import struct
from pathlib import Path

IN_OPEN = 0x00000020
IN_Q_OVERFLOW = 0x00004000
IN_ISDIR = 0x40000000
IN_NONBLOCK = 0o4000
IN_CLOEXEC = 0o2000000
EVENT = struct.Struct("iIII")  # wd, mask, cookie, len; then len bytes of name
NOT_WATCHED = {"__pycache__"}

_libc = ctypes.CDLL(None, use_errno=True)


class ReadWatch:
    """Watches every folder under `root` from `__enter__` to `stop()`: `read` is then the set of
    files (relative to `root`) that any process opened there, and `complete` says whether that
    set is whole."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.read: set[str] = set()
        self.complete = True
        self._folders: dict[int, str] = {}
        self._fd = -1

    def __enter__(self) -> ReadWatch:
        self._fd = _libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if self._fd < 0:
            self.complete = False
            return self
        for folder, subfolders, _ in os.walk(self.root):
            subfolders[:] = [d for d in subfolders if d not in NOT_WATCHED]
            wd = _libc.inotify_add_watch(self._fd, os.fsencode(folder), IN_OPEN)
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
                elif name and not mask & IN_ISDIR and wd in self._folders:
                    self.read.add(self._folders[wd] + os.fsdecode(name))

    def stop(self) -> None:
        """Stop watching (before the runner reads the files itself, to hash them)."""
        if self._fd >= 0:
            self._drain()
            os.close(self._fd)
            self._fd = -1

    def __exit__(self, *exc_info) -> None:
        self.stop()
