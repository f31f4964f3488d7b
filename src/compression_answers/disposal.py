"""What a finished run leaves to undo (its scratch folders, its kernel watch), undone off the
run's path.

Removing a run's folders (its overlay's layer, its home, or, where the kernel refused an
overlay, its linked copy of the project) and closing an inotify watch take the kernel tens of
milliseconds (each watch is torn down with a grace period), as long as a trivial snippet's
whole run. Nothing the build decides waits on them, so one thread undoes them in order, while
the next snippet runs; `settle()` waits until all are undone (the end of a build, and the exit
of the process).
"""

from __future__ import annotations

import atexit
import queue
import threading
from collections.abc import Callable

_pending: queue.Queue[Callable[[], object]] = queue.Queue()
_started = threading.Lock()
_worker: threading.Thread | None = None


def _undo() -> None:
    while True:
        task = _pending.get()
        try:
            task()
        except Exception:  # noqa: BLE001, S110 - leftovers a later build sweeps (runner.sweep_dead_scratch)
            pass
        finally:
            _pending.task_done()


def dispose(task: Callable[[], object]) -> None:
    """Run `task` (which must not raise on purpose) on the disposal thread, after those before it."""
    global _worker  # noqa: PLW0603 - one thread per process, started on first use
    with _started:
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(target=_undo, name="disposal", daemon=True)
            _worker.start()
    _pending.put(task)


def settle() -> None:
    """Wait until every task given so far is done."""
    _pending.join()


atexit.register(settle)
