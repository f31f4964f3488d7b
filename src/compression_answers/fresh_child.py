"""A snippet run in a fresh interpreter: `python -m compression_answers.fresh_child <path>
<scratch> <status fd> <threads> <width> <go fd>`, exec'd by the runner's forked child (see
runner.py). With a go descriptor (not -1), its first measurement waits for the build's GO."""

import sys
from pathlib import Path

from compression_answers.runner import run_in_child, wait_for_go_at_first_measurement

if __name__ == "__main__":
    path, scratch, status_fd, threads, width, go = sys.argv[1:]
    gate = int(go) if int(go) >= 0 else None
    if gate is not None:
        wait_for_go_at_first_measurement(int(status_fd), gate)
    run_in_child(
        path, Path(scratch), int(status_fd), int(threads) or None, int(width) or None, gate
    )
