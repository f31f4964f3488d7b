"""A timing taken while another process keeps a core busy says so: the snippet prints the load
it was measured under, and marks it UNDER LOAD (the build shows the line as printed)."""

import re
import subprocess
import sys

from snippet_outputs import ROOT, Snippet

# The quickest of the snippets that time something.
TIMING = Snippet(ROOT.joinpath("snippets/lstm-dynamic-quantization/latency.py").relative_to(ROOT))


def test_a_timing_taken_beside_a_busy_core_is_marked_under_load():
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        output = TIMING.run_standalone()
    finally:
        busy.kill()
        busy.wait()
    load = re.search(
        r"^other processes while timing: ~(\d+\.\d+) of a core \((.*)\)$", output, re.M
    )
    assert load, f"{TIMING.path} printed no load line:\n{output}"
    assert float(load[1]) >= 0.5, f"a busy core measured as {load[1]} of a core"
    assert load[2].startswith("UNDER LOAD"), load[0]
