"""A 4096-wide Linear in fp32, cast to bf16, and its bf16 int8 and int4 weight-only versions
(torchao), compiled by Inductor with freezing: which weight the compiled code multiplies, and, for
fp32, bf16 and int8 at batch 1, 16 and 256, how long a call takes, the weights read from memory at
batch 1 and 16 (torch.utils.benchmark, one thread, interleaved rounds, with the load other
processes put on the machine meanwhile)."""

import copy
import math
import os
import re
import statistics
import time
from pathlib import Path
from unittest import mock

import torch
import torch._inductor.config as inductor_config
from torch import nn
from torch._inductor.graph import GraphLowering
from torch.utils import benchmark
from torchao.prototype.quantization.int4 import PrototypeInt4WeightOnlyConfig
from torchao.quantization import Int8WeightOnlyConfig, IntxWeightOnlyConfig, PerGroup, quantize_

THREADS = 1  # fixed, so that runs on different machines and builds compare like with like
MARGIN = 0.1  # a difference in latency smaller than this is not called either way
ROUNDS = 5
WIDTH = 4096  # larger weights than the other snippets', as a large model's are
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


def timed(fast, inputs, batch):
    """Each compiled model's latency per Linear call at this batch: warm-up, interleaved rounds."""
    timers = {
        name: benchmark.Timer("m(x)", globals={"m": m, "x": inputs[name]}, num_threads=THREADS)
        for name, m in fast.items()
    }
    times = {name: [] for name in fast}
    rounds = {name: [] for name in fast}  # each round's median
    for timer in timers.values():
        timer.timeit(1)  # warm-up
    start = cpu_seconds()
    for round_ in range(ROUNDS):
        for name in rotated(list(timers), round_):
            # Per Linear call: a call of a ring calls each of its copies once.
            per_ring = timers[name].blocked_autorange(min_run_time=0.02).times
            measured = [t / copies(name, batch) for t in per_ring]
            times[name] += measured
            rounds[name].append(statistics.median(measured))
    for i, value in enumerate(others_since(start)):
        load[i] += value
    quartiles = {
        name: torch.tensor(t).quantile(torch.tensor([0.25, 0.5, 0.75])).tolist()
        for name, t in times.items()
    }
    lines = [
        f"  {name:<30}~{median * 1e3:.3f} ms  [~{q1 * 1e3:.3f}, ~{q3 * 1e3:.3f}]"
        for name, (q1, median, q3) in quartiles.items()
    ]
    # The int8 Linear against bf16, its own dtype, and against fp32, what it replaces.
    lines += compared({n: quartiles[n] for n in ("bf16", "int8 weight-only")}, rounds, "bf16")
    lines += compared({n: quartiles[n] for n in ("fp32", "int8 weight-only")}, rounds, "fp32")
    return lines, {name: q[1] for name, q in quartiles.items()}


# Freezing folds the weights into the compiled graph as constants; Inductor's CPU passes for
# quantized weights run only with it. It is off by default.
inductor_config.freezing = True
# Inductor otherwise compiles and loads a test program for each vector instruction set the CPU's
# flags name (about 5 s, once per machine); the flags are enough where the compiler is gcc.
inductor_config.cpp.vec_isa_ok = True
# Compiled afresh, never from Inductor's cache: a cached graph generates no code to read.
inductor_config.force_disable_caches = True


def compiled(model, x):
    """The model compiled for this input's shape, its first output, and the code Inductor
    generated for it (what torch._inductor.utils.run_and_get_code collects, without its reset of
    every compiled model)."""
    code = []
    fast = torch.compile(model, dynamic=False)
    with mock.patch.object(GraphLowering, "save_output_code", code.append):
        output = fast(x)  # compiled on its first call
    return fast, output[0], "\n".join(code)


def constants(code):
    """The integer bytes the compiled code holds as constants (frozen weights, packed or not)."""
    found = re.findall(
        r"^\w+ = None  # device\(type='cpu'\) torch\.u?int8 \(([\d, ]*)\)", code, re.M
    )
    return sum(math.prod(int(n) for n in filter(None, shape.split(","))) for shape in found)


def kernel(code):
    """The operator the compiled code calls on its input: the matrix multiply."""
    called = [
        op for op in re.findall(r"([\w.]+)\(arg\d+_\d+,", code) if not op.startswith("assert")
    ]
    return called[0].removeprefix("torch.ops.").removesuffix(".default")


def last_level_cache() -> int:
    """This machine's largest CPU cache in bytes, as Linux describes it (0 where it does not)."""
    sizes = Path("/sys/devices/system/cpu/cpu0/cache").glob("index*/size")
    try:
        return max(int(size.read_text().strip().removesuffix("K")) * 1024 for size in sizes)
    except (OSError, ValueError):  # another kernel, or no such folder
        return 0


class Ring(nn.Module):
    """Copies of one Linear, all called on the input, one after the other: where their weights
    together take twice the last-level cache, the others push each one's weight out of the caches
    before its next call, so that each call reads it from memory, as a large model's are read."""

    def __init__(self, layer, copies):
        super().__init__()
        self.copies = nn.ModuleList(copy.deepcopy(layer) for _ in range(copies))

    def forward(self, x):
        return [layer(x) for layer in self.copies]


CACHE = last_level_cache()
layer = nn.Linear(WIDTH, WIDTH, bias=False)  # fp32, for the reference outputs
models = {"fp32": layer, "bf16": copy.deepcopy(layer).to(torch.bfloat16)}
for name, config in {
    # set_inductor_config=True, its default, sets options torchao recommends for every model
    # Inductor compiles afterwards, these too (coordinate-descent tuning, an _int_mm fusion, the
    # cache force_disable_caches overrides): with False, the code generated here is the same.
    "int8 weight-only": Int8WeightOnlyConfig(),
    "int4 weight-only (prototype)": PrototypeInt4WeightOnlyConfig(group_size=128),
    "int4 weight-only (Intx)": IntxWeightOnlyConfig(
        weight_dtype=torch.int4, granularity=PerGroup(128)
    ),
}.items():
    models[name] = copy.deepcopy(models["bf16"])
    quantize_(models[name], config)
# Timed: the int4 Linears are compiled at batch 1 only, for what their code holds (latency.py
# times the kernel the prototype calls; the Intx Linear runs bf16's matrix multiply).
TIMED = ("fp32", "bf16", "int8 weight-only")


# Copies in each timed model's ring at batch 1 and 16: twice the cache, counting the weight's
# values (scales aside). At batch 256, one: rings would take this snippet past its time budget.
RING = {
    n: -(-2 * (CACHE or 2**26) // getattr(models[n].weight, "qdata", models[n].weight).nbytes)
    for n in TIMED
}


def copies(name, batch):
    """How many copies of the model one compiled call runs at this batch."""
    return RING.get(name, 1) if batch < 256 else 1


held = {name: [] for name in models}  # integer bytes the compiled code holds per copy
calls = {name: [] for name in models}  # the matrix multiply it calls
errors = {name: [] for name in models}  # largest change of an output, over the largest fp32 one
per_call, report = {}, []  # each batch's median seconds per Linear call; the timing lines
with torch.inference_mode():
    for batch in (1, 16, 256):
        # One batch's compiled models at a time: Dynamo keeps them all in one cache, which every
        # call searches, and this clears it.
        torch._dynamo.reset()
        x = torch.randn(batch, WIDTH)
        inputs = {name: x if name == "fp32" else x.to(torch.bfloat16) for name in models}
        fast = {}
        for name in models if batch == 1 else TIMED:
            fast[name], output, code = compiled(
                Ring(models[name], copies(name, batch)), inputs[name]
            )
            held[name].append(constants(code) // copies(name, batch))
            calls[name].append(kernel(code))
            if name == "fp32":  # first: the reference the others' outputs are measured from
                reference = output
            else:
                change = (output.float() - reference).abs().max() / reference.abs().max()
                errors[name].append(change.item())
        lines, per_call[batch] = timed({name: fast[name] for name in TIMED}, inputs, batch)
        report += [f"batch {batch}:", *lines]

# What these timings ran on: the bf16 matrix multiply is oneDNN's only where it supports bf16.
print(f"oneDNN's bf16 matrix multiply used here: ~{torch.ops.mkldnn._is_mkldnn_bf16_supported()}")
print(
    "at batch 1 and 16, each model called on copies whose weights total twice the last-level "
    f"cache, one after the other; that cache here: ~{f'{CACHE // 2**20} MiB' if CACHE else 'not known'}"
)
print("what the compiled code holds per copy, and calls, at batch 1, 16 and 256 (int4: at 1):")
for name in models:
    print(
        f"  {name:<30}integer constants {held[name]} bytes; "
        f"matrix multiply: ~{', ~'.join(sorted(set(calls[name])))}"
    )
int8_fused = set(calls["int8 weight-only"]) == {"extern_kernels._weight_int8pack_mm"}
int4_fused = calls["int4 weight-only (prototype)"] == ["quantized.int4mm_packed_weight_cpu"]
print(
    "check: with bf16 inputs, the compiled int8 Linear multiplies its int8 weight (one byte per "
    f"value) in _weight_int8pack_mm at every batch: {int8_fused and held['int8 weight-only'] == [WIDTH**2] * 3}"
)
packed = held["int4 weight-only (prototype)"] == [WIDTH**2 // 2]
print(
    "check: the compiled prototype int4 Linear multiplies its packed weight (half a byte per value) "
    "in int4mm_packed_weight_cpu, and the compiled Intx int4 Linear keeps no integer weight: "
    f"{int4_fused and packed and held['int4 weight-only (Intx)'] == [0]}"
)
within = max(errors["bf16"] + errors["int8 weight-only"]) < 0.02
within_int4 = max(errors["int4 weight-only (prototype)"] + errors["int4 weight-only (Intx)"]) < 0.1
print(
    "check: the compiled bf16 and int8 outputs stay within 2% of the largest fp32 output, the int4 "
    f"ones within 10%: {within and within_int4}"
)
print(
    f"\ntorch threads: {torch.get_num_threads()}; Linear({WIDTH}, {WIDTH}) in fp32 and bf16, compiled "
    "with freezing; median per Linear call, IQR in brackets; measured on the machine that built this page"
)
print("\n".join(report))
# Where a weight sits can move a batch-256 call by about one read of it from memory, which is
# what a batch-1 call takes here.
share = max(per_call[1][name] / per_call[256][name] for name in TIMED)
print(f"a batch-1 call over the same model's batch-256 call, at most: ~{share:.2f}")
print(load_line(*load))
