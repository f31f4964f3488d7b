"""The PT2E int8 model and the fp32 model, both compiled by Inductor with freezing, timed at
batch 64 on this CPU's own kernels, with the load other processes put on the machine meanwhile,
and a profile of one compiled int8 call: the int8 kernels that ran. The network is pt2e.py's,
trained as its first seed is; compiled_int8.py checks the compiled int8 model's accuracy."""

import os
import statistics
import time

import torch
import torch._inductor.config as inductor_config
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn
from torch.utils import benchmark
from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e
from torchao.quantization.pt2e.quantizer.x86_inductor_quantizer import (
    X86InductorQuantizer,
    get_default_x86_inductor_quantization_config,
)

THREADS = 1
MARGIN = 0.1  # a difference in latency smaller than this is not called either way
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

# Freezing folds the weights into the compiled graph as constants. It is off by default, and
# Inductor's x86 passes that prepack int8 weights and lower the quantized patterns to oneDNN's
# int8 kernels run only with it (PyTorch's PT2E x86 tutorial turns it on too).
inductor_config.freezing = True
# Inductor otherwise compiles and loads a test program for each vector instruction set the CPU's
# flags name (about 5 s, once per machine); the flags are enough where the compiler is gcc.
inductor_config.cpp.vec_isa_ok = True
X, y = load_digits(return_X_y=True)  # ships with scikit-learn: nothing is downloaded
X_train, X_test, y_train, y_test = train_test_split(
    X / 16.0, y, test_size=0.3, random_state=0, stratify=y
)
X_train = torch.tensor(X_train, dtype=torch.float32).reshape(-1, 1, 8, 8)
X_test = torch.tensor(X_test, dtype=torch.float32).reshape(-1, 1, 8, 8)
y_train, y_test = torch.tensor(y_train), torch.tensor(y_test)
model = nn.Sequential(
    nn.Conv2d(1, 16, 3, padding=1),
    nn.ReLU(),
    nn.Conv2d(16, 32, 3, padding=1),
    nn.ReLU(),
    nn.Flatten(),
    nn.Linear(32 * 8 * 8, 10),
)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for _epoch in range(4):
    for batch in torch.randperm(len(X_train)).split(64):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(X_train[batch]), y_train[batch]).backward()
        optimizer.step()
model.eval()
x = X_test[:64]  # the batch the models are compiled for and timed at
# Exported and calibrated as pt2e.py does, so that the reference graph is the one it measures.
exported = torch.export.export(
    model, (X_train[:32],), dynamic_shapes=({0: torch.export.Dim("batch")},)
)
quantizer = X86InductorQuantizer().set_global(get_default_x86_inductor_quantization_config())
prepared = prepare_pt2e(exported.module(), quantizer)
with torch.no_grad():
    for batch in X_train[:256].split(32):  # calibration: observers record activation ranges
        prepared(batch)
    converted = convert_pt2e(prepared)
    fp32_compiled = torch.compile(model, dynamic=False)
    fp32_compiled(x)  # compiled on its first call
    int8_compiled = torch.compile(converted, dynamic=False)
    int8_compiled(x)
    # Which kernels a compiled call really runs: the profiler records each operator it calls.
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as profile:
        int8_compiled(x)
ran = sorted({event.name for event in profile.events() if event.name.startswith("onednn::q")})
print(f"oneDNN int8 kernels one compiled int8 call ran: {', '.join(ran) or 'none'}")
in_int8 = any(n.startswith("onednn::qconv") for n in ran) and any(
    n.startswith("onednn::qlinear") for n in ran
)
print(f"check: the timed int8 model runs its convolutions and its Linear layer in int8: {in_int8}")

print(
    f"torch threads: {torch.get_num_threads()}; batch 64; median per call, IQR in brackets; "
    "measured on the machine that built this page"
)
models = {
    "fp32 (eager)": model,
    "int8 PT2E (eager, q/dq in fp32)": converted,
    "fp32 (compiled, frozen)": fp32_compiled,
    "int8 PT2E (compiled, frozen)": int8_compiled,
}
timers = {
    name: benchmark.Timer("m(x)", globals={"m": m, "x": x}, num_threads=THREADS)
    for name, m in models.items()
}
times = {name: [] for name in models}
rounds = {name: [] for name in models}  # each round's median
with torch.no_grad():
    for timer in timers.values():
        timer.timeit(3)  # warm-up
    start = cpu_seconds()
    for round_ in range(3):
        for name in rotated(list(timers), round_):
            timer = timers[name]
            measured = timer.blocked_autorange(min_run_time=0.05).times
            times[name] += measured
            rounds[name].append(statistics.median(measured))
    for i, value in enumerate(others_since(start)):
        load[i] += value
quartiles = {
    name: torch.tensor(t).quantile(torch.tensor([0.25, 0.5, 0.75])).tolist()
    for name, t in times.items()
}
for name, (q1, median, q3) in quartiles.items():
    print(f"  {name:<34}~{median * 1e3:.3f} ms  [~{q1 * 1e3:.3f}, ~{q3 * 1e3:.3f}]")
print("\n".join(compared(quartiles, rounds, "fp32 (compiled, frozen)")))
print(load_line(*load))
