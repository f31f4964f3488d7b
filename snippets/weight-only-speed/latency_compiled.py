"""A 2048-wide fp32 Linear and its int8 and int4 weight-only versions (torchao), each compiled by
Inductor with freezing at batch 1, 16 and 256: which weight the compiled code multiplies, and how
long a call takes (torch.utils.benchmark, one thread, interleaved rounds, with the load other
processes put on the machine meanwhile)."""

import copy
import os
import re
import statistics
import time
from unittest import mock

import torch
import torch._inductor.config as inductor_config
from torch import nn
from torch._inductor.graph import GraphLowering
from torch.utils import benchmark
from torchao.quantization import Int8WeightOnlyConfig, IntxWeightOnlyConfig, PerGroup, quantize_

THREADS = 1  # fixed, so that runs on different machines and builds compare like with like
MARGIN = 0.1  # a difference in latency smaller than this is not called either way
ROUNDS = 5
WIDTH = 2048  # at 4096 the eager snippet alone took 17 s of CPU time here: past its budget
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


def timed(fast, x):
    """Each compiled model's latencies at this batch: warm-up, then interleaved rounds."""
    timers = {
        name: benchmark.Timer("m(x)", globals={"m": m, "x": x}, num_threads=THREADS)
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
        f"  {name:<25}~{median * 1e3:.3f} ms  [~{q1 * 1e3:.3f}, ~{q3 * 1e3:.3f}]"
        for name, (q1, median, q3) in quartiles.items()
    ]
    return lines + compared(quartiles, rounds, "fp32")


# No bias: a bias adds a C++ kernel to each compiled graph, and compiling it costs a second each.
layer = nn.Linear(WIDTH, WIDTH, bias=False)
models = {"fp32": layer}
for name, config in {
    "int8 weight-only": Int8WeightOnlyConfig(),
    "int4 weight-only (Intx)": IntxWeightOnlyConfig(
        weight_dtype=torch.int4, granularity=PerGroup(128)
    ),
}.items():
    models[name] = copy.deepcopy(layer)
    quantize_(models[name], config)
held = {name: [] for name in models}  # integer bytes the compiled code holds, at each batch
calls = {name: [] for name in models}  # the matrix multiply it calls, at each batch
errors = {name: [] for name in models}  # largest change of an output, over the largest fp32 output
report = []
for batch in (1, 16, 256):
    # One batch's compiled models at a time: Dynamo keeps them all in one cache, which every call
    # searches, and this clears it.
    torch._dynamo.reset()
    x = torch.randn(batch, WIDTH)
    with torch.inference_mode():
        reference = layer(x)
        fast = {}
        for name, model in models.items():
            fast[name], output, code = compiled(model, x)
            sizes = constants(code)
            held[name].append(sizes.get("int8", 0) + sizes.get("uint8", 0))
            calls[name].append(kernel(code))
            errors[name].append(((output - reference).abs().max() / reference.abs().max()).item())
        # The Intx int4 program is the fp32 one (the same matrix multiply on an fp32 weight, and no
        # scales left to apply): timing it would time fp32 twice.
        timed_here = {name: m for name, m in fast.items() if "Intx" not in name}
        report += [f"batch {batch}:", *timed(timed_here, x)]

print("what the compiled code holds and calls at batch 1, 16 and 256:")
for name in models:
    print(
        f"  {name:<25}integer constants {held[name]} bytes; matrix multiply: ~{', ~'.join(sorted(set(calls[name])))}"
    )
folded = all(n == 0 for name in models for n in held[name])
print(
    "claim: compiled with freezing, the int8 and int4 weight-only Linears keep an integer weight: "
    f"{not folded}"
)
print(
    "check: at every batch, the compiled int8 and int4 Linears call the same matrix multiply as the "
    f"compiled fp32 Linear: {calls['int8 weight-only'] == calls['int4 weight-only (Intx)'] == calls['fp32']}"
)
print(
    "check: the compiled int8 outputs stay within 1% of the largest fp32 output, the int4 ones "
    f"within 10%: {max(errors['int8 weight-only']) < 0.01 and max(errors['int4 weight-only (Intx)']) < 0.1}"
)
if folded:
    answer = "An fp32 copy of the weight, made once when compiling"
elif any("int8pack" in call for call in calls["int8 weight-only"]):
    answer = "The int8 weight, in a fused weight-only kernel"
else:
    answer = "The int8 weight, converted to fp32 on every call"
print(f"answer: {answer}")
print()
print(
    f"torch threads: {torch.get_num_threads()}; Linear({WIDTH}, {WIDTH}) in fp32, compiled with "
    "freezing; median per call, IQR in brackets; measured on the machine that built this page"
)
print("\n".join(report))
print(load_line(*load))
