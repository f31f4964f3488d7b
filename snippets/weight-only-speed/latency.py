"""Latency of a 2048-wide Linear, eager, in fp32 and bf16 and with torchao's int8 and int4
weight-only configurations, at batch 1, 16 and 256, each model called on a ring of copies too large
for the caches, so that each call reads its weight from memory: torch.utils.benchmark, one thread,
interleaved rounds, with the load other processes put on the machine meanwhile. what_runs.py
shows what each runs."""

import copy
import itertools
import os
import statistics
import time
from pathlib import Path

import torch
from torch import nn
from torch.utils import benchmark
from torchao.prototype.quantization.int4 import PrototypeInt4WeightOnlyConfig
from torchao.quantization import Int8WeightOnlyConfig, IntxWeightOnlyConfig, PerGroup, quantize_

THREADS = 1  # fixed, so that runs on different machines and builds compare like with like
MARGIN = 0.1  # a difference in latency smaller than this is not called either way
ROUNDS = 5
WIDTH = 2048
torch.set_num_threads(THREADS)
torch.manual_seed(0)


def cpu_seconds() -> tuple[float, float, float]:
    """CPU seconds used so far by every process on the machine and by this one (Linux's
    /proc/stat), and the clock."""
    try:
        with open("/proc/stat") as stat:
            ticks = [int(n) for n in stat.readline().split()[1:9]]
        busy = (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # not idle or I/O
    except OSError:
        busy = float("nan")
    return busy, time.process_time(), time.perf_counter()


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


load = [0.0, 0.0]  # other processes' CPU seconds while timing, and the seconds timed
print(
    f"each comparison: faster or slower only where the rounds' median ratio lies more than "
    f"{MARGIN:.0%} from 1 and every round but one in four puts the two on the same side"
)


def last_level_cache() -> int:
    """This machine's largest CPU cache in bytes, as Linux describes it (0 where it does not)."""
    sizes = Path("/sys/devices/system/cpu/cpu0/cache").glob("index*/size")
    try:
        return max(int(size.read_text().strip().removesuffix("K")) * 1024 for size in sizes)
    except (OSError, ValueError):  # another kernel, or no such folder
        return 0


CACHE = last_level_cache()
layer = nn.Linear(WIDTH, WIDTH, bias=False)  # no bias, as in the compiled snippets
bf16 = copy.deepcopy(layer).to(torch.bfloat16)
models = {"fp32": layer, "bf16": bf16}
intx = IntxWeightOnlyConfig(weight_dtype=torch.int4, granularity=PerGroup(128))
for name, config, source in [
    ("int8 weight-only", Int8WeightOnlyConfig(), layer),
    ("int4 weight-only (Intx)", intx, layer),
    # In bf16, with bf16 inputs: with fp32 ones, ATen's int4 kernel runs a loop it does not vectorize.
    ("int4 weight-only (prototype)", PrototypeInt4WeightOnlyConfig(group_size=128), bf16),
]:
    models[name] = copy.deepcopy(source)
    quantize_(models[name], config)
# Each model as a ring of copies whose weights take twice the cache, one copy per call: by the time
# a copy's turn comes again, the others have pushed its weight out of the caches, so each call reads
# its weight from memory. The copies also spread where the weights land in memory, which moves a
# memory-bound kernel's time.
rings = {}
for name, model in models.items():
    stored = getattr(model.weight, "qdata", model.weight).nbytes  # a torchao weight's values
    rings[name] = itertools.cycle(
        [copy.deepcopy(model) for _ in range(-(-2 * (CACHE or 2**26) // stored))]
    )
print(
    f"torch threads: {torch.get_num_threads()}; Linear({WIDTH}, {WIDTH}), eager (bf16 and the prototype "
    "int4 Linear in bf16, with bf16 inputs); median per call, IQR in brackets; measured on the "
    "machine that built this page"
)
print(
    "each model called on copies whose weights total twice the last-level cache, one copy per call; "
    f"that cache here: ~{f'{CACHE // 2**20} MiB' if CACHE else 'not known'}"
)
medians = {}  # fp32's, for the ridge point below
for batch in (1, 16, 256):
    x = torch.randn(batch, WIDTH)
    times = {name: [] for name in models}
    rounds = {name: [] for name in models}  # each round's median
    with torch.inference_mode():
        timers = {
            name: benchmark.Timer(
                "next(ring)(x)",
                globals={"ring": ring, "x": x.to(next(models[name].parameters()).dtype)},
                num_threads=THREADS,
            )
            for name, ring in rings.items()
        }
        for timer in timers.values():
            timer.timeit(1)  # warm-up
        start = cpu_seconds()
        for round_ in range(ROUNDS):
            for name in rotated(list(timers), round_):
                measured = timers[name].blocked_autorange(min_run_time=0.02).times
                times[name] += measured
                rounds[name].append(statistics.median(measured))
        for i, value in enumerate(others_since(start)):
            load[i] += value
    quartiles = {
        name: torch.tensor(t).quantile(torch.tensor([0.25, 0.5, 0.75])).tolist()
        for name, t in times.items()
    }
    medians[batch] = quartiles["fp32"][1]
    print(f"batch {batch}:")
    for name, (q1, median, q3) in quartiles.items():
        print(f"  {name:<29}~{median * 1e3:.3f} ms  [~{q1 * 1e3:.3f}, ~{q3 * 1e3:.3f}]")
    in_bf16 = {name: quartiles[name] for name in ("bf16", "int4 weight-only (prototype)")}
    print("\n".join(compared(quartiles, rounds, "fp32") + compared(in_bf16, rounds, "bf16")))
# The roofline's ridge point, as one core ran fp32 here: the FLOPs per second at batch 256 over
# the weight bytes per second, read from memory, at batch 1.
bandwidth = layer.weight.nbytes / medians[1] / 1e9
flops = 2 * 256 * WIDTH**2 / medians[256] / 1e9
print(f"one core, fp32: weight read from memory at batch 1: ~{bandwidth:.1f} GB/s")
print(f"one core, fp32: arithmetic at batch 256: ~{flops:.1f} GFLOP/s")
print(
    f"their ratio, the ridge point, the FLOPs per byte below which one core waits on memory: ~{flops / bandwidth:.1f}"
)
print(load_line(*load))
