"""What a test left behind: processes still running under the test process, scratch folders
nobody will sweep, and files changed in the checkout. conftest.py asks after every test that
runs a snippet."""

import os
import subprocess
import tempfile
import time
from pathlib import Path

from compression_answers.runner import SCRATCH_NAME


def descendants(root: int) -> dict[int, str]:
    """The processes under `root` that still run (zombies aside), with their command lines."""
    children: dict[int, list[int]] = {}
    states: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # ended meanwhile
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        state, parent = stat[stat.rindex(")") + 2 :].split()[:2]
        children.setdefault(int(parent), []).append(int(entry.name))
        states[int(entry.name)] = state
    found, waiting = {}, list(children.get(root, []))
    while waiting:
        pid = waiting.pop()
        waiting += children.get(pid, [])
        if states.get(pid) != "Z":
            try:
                found[pid] = (
                    Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
                )
            except OSError:
                continue
    return found


def alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


def scratch_folders() -> set[str]:
    """The runner's scratch folders in the temporary folder (runner.scratch_folder names them)."""
    return {name for name in os.listdir(tempfile.gettempdir()) if SCRATCH_NAME.match(name)}


def unswept(names: set[str], mine: int) -> list[str]:
    """Of `names`, the folders that no live build will remove: made by this process, or by one
    that has ended."""
    kept = []
    for name in sorted(names):
        pid = int(SCRATCH_NAME.match(name)["pid"])
        if (pid == mine or not alive(pid)) and Path(tempfile.gettempdir(), name).exists():
            kept.append(name)
    return kept


def checkout_changes(root: Path) -> str | None:
    """`git status` of the checkout, ignored files aside; None where it is not a git checkout."""
    done = subprocess.run(
        ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=all"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout if done.returncode == 0 else None


class Snapshot:
    """The state a test starts from, and what it left behind when it ended."""

    def __init__(self, root: Path, processes: bool):
        self.root, self.processes = root, processes
        self.pid = os.getpid()
        self.running = set(descendants(self.pid)) if processes else set()
        self.scratch = scratch_folders()
        self.checkout = checkout_changes(root)

    def left_behind(self, grace_seconds: float = 3.0) -> list[str]:
        """What the test left, after `grace_seconds` for processes and folders to go on their own."""
        problems = []
        if self.processes:
            deadline = time.monotonic() + grace_seconds
            while True:
                new = {p: c for p, c in descendants(self.pid).items() if p not in self.running}
                if not new or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            problems += [f"a process still runs: {pid} {line}" for pid, line in sorted(new.items())]
        deadline = time.monotonic() + grace_seconds  # a failed build removes them as it ends
        while True:
            left = unswept(scratch_folders() - self.scratch, self.pid)
            if not left or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        problems += [
            f"a scratch folder is left in {tempfile.gettempdir()}: {name}" for name in left
        ]
        now = checkout_changes(self.root)
        if now != self.checkout:
            problems.append(f"the checkout changed:\nbefore:\n{self.checkout}\nafter:\n{now}")
        return problems
