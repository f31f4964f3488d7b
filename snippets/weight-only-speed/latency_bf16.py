"""A 4096-wide Linear in fp32, cast to bf16, and its bf16 int8 and int4 weight-only versions
(torchao), each compiled by Inductor with freezing at batch 1, 16 and 256: which weight the
compiled code multiplies, and how long a call takes (torch.utils.benchmark, one thread,
interleaved rounds, with the load other processes put on the machine meanwhile)."""

import copy
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
# Twice the other snippets' width: its bf16 weight, 32 MiB, is as large as this machine's
# last-level cache, where at 2048 it would sit in it (the fp32 snippets stay at 2048 for their
# time budget: at 4096 the eager one alone took 17 s of CPU time here).
WIDTH = 4096
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
    return fast, output, "\n".join(code)


def constants(code):
    """The constants the compiled code holds (frozen weights, packed or not): dtype and bytes."""
    found = re.findall(
        r"^\w+ = None  # device\(type='cpu'\) torch\.(\w+) \(([\d, ]*)\)", code, re.M
    )
    sizes = {}
    for dtype, shape in found:
        numel = 1
        for n in filter(None, shape.split(",")):
            numel *= int(n)
        sizes[dtype] = sizes.get(dtype, 0) + numel * getattr(torch, dtype).itemsize
    return sizes


def kernel(code):
    """The operator the compiled code calls on its input: the matrix multiply."""
    called = [
        op for op in re.findall(r"([\w.]+)\(arg\d+_\d+,", code) if not op.startswith("assert")
    ]
    return called[0].removeprefix("torch.ops.").removesuffix(".default")


def timed(fast, inputs):
    """Each compiled model's latencies at this batch: warm-up, then interleaved rounds."""
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
            measured = timers[name].blocked_autorange(min_run_time=0.02).times
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
    # The quantized Linears against bf16, their own dtype, and against fp32, what they replace.
    against_bf16 = {name: q for name, q in quartiles.items() if name != "fp32"}
    against_fp32 = {name: q for name, q in quartiles.items() if name != "bf16"}
    return lines + compared(against_bf16, rounds, "bf16") + compared(against_fp32, rounds, "fp32")


layer = nn.Linear(WIDTH, WIDTH, bias=False)  # fp32, for the reference outputs
models = {"fp32": layer, "bf16": copy.deepcopy(layer).to(torch.bfloat16)}
for name, config in {
    "int8 weight-only": Int8WeightOnlyConfig(),
    "int4 weight-only (prototype)": PrototypeInt4WeightOnlyConfig(group_size=128),
}.items():
    models[name] = copy.deepcopy(models["bf16"])
    quantize_(models[name], config)
held = {name: [] for name in models}  # integer bytes the compiled code holds, at each batch
calls = {name: [] for name in models}  # the matrix multiply it calls, at each batch
errors = {name: [] for name in models}  # largest change of an output, over the largest fp32 output
report = []
with torch.inference_mode():
    # The Intx int4 Linear in bf16, compiled once, for what its code holds: it is not timed.
    intx = copy.deepcopy(models["bf16"])
    quantize_(intx, IntxWeightOnlyConfig(weight_dtype=torch.int4, granularity=PerGroup(128)))
    intx_sizes = constants(compiled(intx, torch.randn(1, WIDTH, dtype=torch.bfloat16))[2])
    for batch in (1, 16, 256):
        # One batch's compiled models at a time: Dynamo keeps them all in one cache, which every
        # call searches, and this clears it.
        torch._dynamo.reset()
        x = torch.randn(batch, WIDTH)
        inputs = {name: x if name == "fp32" else x.to(torch.bfloat16) for name in models}
        fast = {}
        for name, model in models.items():
            fast[name], output, code = compiled(model, inputs[name])
            if name == "fp32":  # first: the reference the others' outputs are measured from
                reference = output
            sizes = constants(code)
            held[name].append(sizes.get("int8", 0) + sizes.get("uint8", 0))
            calls[name].append(kernel(code))
            change = (output.float() - reference).abs().max() / reference.abs().max()
            errors[name].append(change.item())
        report += [f"batch {batch}:", *timed(fast, inputs)]


def last_level_cache():
    """This machine's largest CPU cache, as Linux describes it (a fact of this CPU: marked ~)."""
    sizes = Path("/sys/devices/system/cpu/cpu0/cache").glob("index*/size")
    try:
        largest = max(int(size.read_text().strip().removesuffix("K")) for size in sizes)
    except (OSError, ValueError):  # another kernel, or no such folder
        return "~not known"
    return f"~{largest // 1024} MiB"


# What these timings ran on: the bf16 matrix multiply is oneDNN's only where it supports bf16.
print(f"oneDNN's bf16 matrix multiply used here: ~{torch.ops.mkldnn._is_mkldnn_bf16_supported()}")
print(
    f"the bf16 weight: {WIDTH**2 * 2 // 2**20} MiB; this machine's last-level cache: {last_level_cache()}"
)
print("what the compiled code holds and calls at batch 1, 16 and 256:")
for name in models:
    print(
        f"  {name:<30}integer constants {held[name]} bytes; "
        f"matrix multiply: ~{', ~'.join(sorted(set(calls[name])))}"
    )
print(
    f"  {'int4 weight-only (Intx)':<30}integer constants "
    f"[{intx_sizes.get('int8', 0) + intx_sizes.get('uint8', 0)}] bytes at batch 1 (not timed)"
)
int8_fused = set(calls["int8 weight-only"]) == {"extern_kernels._weight_int8pack_mm"}
int4_fused = set(calls["int4 weight-only (prototype)"]) == {"quantized.int4mm_packed_weight_cpu"}
print(
    "check: with bf16 inputs, the compiled int8 Linear multiplies its int8 weight (one byte per "
    "value) in _weight_int8pack_mm at every batch: "
    f"{int8_fused and held['int8 weight-only'] == [WIDTH**2] * 3}"
)
print(
    "check: the compiled prototype int4 Linear multiplies its packed weight (half a byte per value) "
    "in int4mm_packed_weight_cpu at every batch: "
    f"{int4_fused and held['int4 weight-only (prototype)'] == [WIDTH**2 // 2] * 3}"
)
print(
    "check: with bf16 inputs, the compiled Intx int4 Linear keeps no integer weight: "
    f"{intx_sizes.get('int8', 0) + intx_sizes.get('uint8', 0) == 0}"
)
within = max(errors["bf16"] + errors["int8 weight-only"]) < 0.02
within_int4 = max(errors["int4 weight-only (prototype)"]) < 0.1
print(
    "check: the compiled bf16 and int8 outputs stay within 2% of the largest fp32 output, the int4 "
    f"ones within 10%: {within and within_int4}"
)
print()
print(
    f"torch threads: {torch.get_num_threads()}; Linear({WIDTH}, {WIDTH}) in fp32 and bf16, compiled "
    "with freezing; median per call, IQR in brackets; measured on the machine that built this page"
)
print("\n".join(report))
print(load_line(*load))
