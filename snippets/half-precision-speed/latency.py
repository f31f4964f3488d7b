"""Latency of a 2048-wide Linear in fp32, bf16 and fp16, at batch 1 and 64: with this machine's own
kernels, on one thread and on all cores, then as on a CPU with AVX2 only, on one thread (a fresh
Python with ATen, oneDNN and MKL capped at AVX2: they read the cap when torch starts).
torch.utils.benchmark, interleaved rounds, with the load other processes put on the machine."""

import copy
import json
import os
import statistics
import subprocess
import sys
import time

import torch
from torch import nn
from torch.utils import benchmark

THIS = "snippets/half-precision-speed/latency.py"  # run from the repository root
MARGIN = 0.1  # a difference in latency smaller than this is not called either way
ROUNDS = 8
CORES = len(os.sched_getaffinity(0))  # the cores this process may run on
DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
AVX2_ONLY = dict(
    ATEN_CPU_CAPABILITY="avx2",
    ONEDNN_MAX_CPU_ISA="AVX2",
    MKL_ENABLE_INSTRUCTIONS="AVX2",
    FBGEMM_ENABLE_INSTRUCTIONS="AVX2",
)


def cpu_seconds() -> tuple[float, float, float]:
    """CPU seconds used so far by every process on the machine and by this one, with the children
    it waited for (Linux's /proc/stat), and the clock."""
    try:
        with open("/proc/stat") as stat:
            ticks = [int(n) for n in stat.readline().split()[1:9]]
        busy = (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # not idle or I/O
    except OSError:
        busy = float("nan")
    return busy, time.process_time() + sum(os.times()[2:4]), time.perf_counter()


def others_since(start: tuple[float, float, float]) -> tuple[float, float]:
    """Other processes' CPU seconds since `start`, and the seconds that passed."""
    end = cpu_seconds()
    return (end[0] - start[0]) - (end[1] - start[1]), end[2] - start[2]


def load_line(others: float, seconds: float) -> str:
    """The load the timings were taken under: they compare only when taken on an idle core."""
    if others != others:  # no /proc/stat here
        return "other processes while timing: ~not measured"
    cores = max(0.0, others / seconds)  # clock ticks are coarser than process_time
    verdict = "idle" if cores < 0.1 else "UNDER LOAD: not comparable with a run on an idle core"
    return f"other processes while timing: ~{cores:.2f} of a core ({verdict})"


def compared(quartiles: dict, rounds: dict, reference: str, margin: float = MARGIN) -> list[str]:
    """Each row against the reference, from each round's ratio of medians (the two are timed in
    the same round, so a burst of noise touches both, and the order rotates from round to round):
    faster or slower only where the rounds' median ratio lies beyond the margin and every round
    but one in four puts the two on the same side of 1; otherwise no difference was measured.
    Deciding on the median keeps a ratio well past the margin from flipping with one noisy round;
    asking nearly every round for the same side keeps a ratio that changes side from being
    called on the luck of one run."""
    lines = []
    for name in quartiles:
        if name != reference:
            ratios = [x / y for x, y in zip(rounds[name], rounds[reference], strict=True)]
            typical = statistics.median(ratios)
            allowed = (len(ratios) - 1) // 4  # rounds that may fall on the other side of 1
            if sum(r >= 1 for r in ratios) <= allowed and typical < 1 / (1 + margin):
                word = "faster"
            elif sum(r <= 1 for r in ratios) <= allowed and typical > 1 + margin:
                word = "slower"
            else:
                word = f"no difference measured beyond {margin:.0%}"
            lines.append(f"  {name} against {reference}: ~{word} ({typical:.2f}× the time)")
    return lines


def rotated(names: list, round_: int) -> list:
    """The names in the order of this round: each starts a round in turn, so that no one of
    them always runs first, after a warm-up or another's memory traffic."""
    start = round_ % len(names)
    return names[start:] + names[:start]


torch.manual_seed(0)
layer = nn.Linear(2048, 2048)
models = {name: copy.deepcopy(layer).to(dtype) for name, dtype in DTYPES.items()}
load = [0.0, 0.0]  # other processes' CPU seconds while timing, and the seconds timed


def measure(threads: int, batch: int) -> tuple[dict, dict]:
    """Every call's time for each dtype, and each round's median, the dtypes in turn."""
    x = torch.randn(batch, 2048)
    times = {name: [] for name in DTYPES}
    rounds = {name: [] for name in DTYPES}  # each round's median
    with torch.inference_mode():
        for round_ in range(-1, ROUNDS):  # round -1 is the warm-up
            # Fresh copies every round: where a tensor lands in memory moves a memory-bound
            # kernel's time, and one allocation would fix that luck for the whole run.
            timers = {
                name: benchmark.Timer(
                    "m(x)",
                    globals={"m": copy.deepcopy(m), "x": x.to(DTYPES[name])},
                    num_threads=threads,
                )
                for name, m in models.items()
            }
            if round_ < 0:
                for timer in timers.values():
                    timer.timeit(2)
                start = cpu_seconds()  # after the warm-up
                continue
            for name in rotated(list(timers), round_):
                measured = timers[name].blocked_autorange(min_run_time=0.02).times
                times[name] += measured
                rounds[name].append(statistics.median(measured))
    for i, value in enumerate(others_since(start)):
        load[i] += value
    return times, rounds


def report(title: str, times: dict, rounds: dict) -> None:
    """Each dtype's median and quartiles, then each against fp32."""
    quartiles = {
        name: torch.tensor(t).quantile(torch.tensor([0.25, 0.5, 0.75])).tolist()
        for name, t in times.items()
    }
    print(title)
    for name, (q1, median, q3) in quartiles.items():
        print(f"  {name}  ~{median * 1e3:.3f} ms  [~{q1 * 1e3:.3f}, ~{q3 * 1e3:.3f}]")
    print("\n".join(compared(quartiles, rounds, "fp32")))


if sys.argv[1:] == ["--child"]:
    # In the fresh Python with the AVX2 cap: one thread, both batches, for the parent to print.
    print(json.dumps({batch: measure(1, batch) for batch in (1, 64)}))
    sys.exit()

print(
    f"each comparison: faster or slower only where the rounds' median ratio lies more than "
    f"{MARGIN:.0%} from 1 and every round but one in four puts the two on the same side"
)
# What these timings ran on: the same checks torch makes before it calls oneDNN.
print(f"ATen's kernels here: ~{torch.backends.cpu.get_cpu_capability()}")
print(f"oneDNN's bf16 matrix multiply used here: ~{torch.ops.mkldnn._is_mkldnn_bf16_supported()}")
print(f"oneDNN's fp16 matrix multiply used here: ~{torch.ops.mkldnn._is_mkldnn_fp16_supported()}")
print(f"torch threads for all cores: ~{CORES}")
print("median per call, IQR in brackets; measured on the machine that built this page")
for threads in sorted({1, CORES}):
    for batch in (1, 64):
        plural = "s" if threads > 1 else ""
        report(f"{threads} thread{plural}, batch {batch}:", *measure(threads, batch))
# The same, as on a CPU with AVX2 only; its time counts as this process's in the load line.
start = cpu_seconds()
child = subprocess.run(
    [sys.executable, THIS, "--child"],
    env={**os.environ, **AVX2_ONLY, "OMP_NUM_THREADS": "1"},
    capture_output=True,
    text=True,
    check=True,
)
for i, value in enumerate(others_since(start)):
    load[i] += value
for batch, (times, rounds) in json.loads(child.stdout).items():
    report(f"as on a CPU with AVX2 only, 1 thread, batch {batch}:", times, rounds)
print(load_line(*load))
