"""A snippet run in a fresh interpreter: `python -m compression_answers.fresh_child <path>
<scratch> <status fd> <threads> <width>`, exec'd by the runner's forked child (see runner.py)."""

import sys
from pathlib import Path

from compression_answers.runner import run_in_child

if __name__ == "__main__":
    path, scratch, status_fd, threads, width = sys.argv[1:]
    run_in_child(path, Path(scratch), int(status_fd), int(threads) or None, int(width) or None)
