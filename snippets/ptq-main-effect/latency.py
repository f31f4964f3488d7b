"""Latency of fp32 and int8 models, eager: torch.utils.benchmark, warmed up, one thread, interleaved,
with the load other processes put on the machine meanwhile."""

import copy
import os
import statistics
import time
import warnings

import torch
from torch import nn
from torch.utils import benchmark
from torchao.quantization import Int8DynamicActivationInt8WeightConfig, quantize_

THREADS = 1  # fixed, so that runs on different machines and builds compare like with like
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


def mlp(inputs, width, depth, classes):
    layers = [nn.Linear(inputs, width), nn.ReLU()]
    for _ in range(depth - 2):
        layers += [nn.Linear(width, width), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(width, classes)).eval()


def int8_versions(model):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the deprecation warning is shown by quantize_mlp.py
        classic = torch.ao.quantization.quantize_dynamic(
            copy.deepcopy(model), {nn.Linear}, dtype=torch.qint8
        )
    torchao_model = copy.deepcopy(model)
    quantize_(torchao_model, Int8DynamicActivationInt8WeightConfig())
    return {"fp32": model, "int8 torch.ao dynamic": classic, "int8 torchao (eager)": torchao_model}


class BertLayer(nn.Module):
    """A BERT-base encoder layer's shapes: hidden size 768, 12 heads, feed-forward 3072."""

    def __init__(self, hidden=768, heads=12, feed_forward=3072):
        super().__init__()
        self.heads = heads
        self.qkv, self.out = nn.Linear(hidden, 3 * hidden), nn.Linear(hidden, hidden)
        self.up, self.down = nn.Linear(hidden, feed_forward), nn.Linear(feed_forward, hidden)
        self.norm1, self.norm2 = nn.LayerNorm(hidden), nn.LayerNorm(hidden)

    def forward(self, x):
        batch, tokens, hidden = x.shape
        split = self.qkv(x).view(batch, tokens, 3, self.heads, hidden // self.heads)
        q, k, v = split.permute(2, 0, 3, 1, 4)
        attended = nn.functional.scaled_dot_product_attention(q, k, v)
        x = self.norm1(x + self.out(attended.transpose(1, 2).reshape(batch, tokens, hidden)))
        return self.norm2(x + self.down(nn.functional.gelu(self.up(x))))


def bert_versions():
    # Built by hand: quantize_dynamic's modules break nn.TransformerEncoderLayer's fast path,
    # which reads each Linear's weight as a tensor.
    layer = BertLayer().eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        classic = torch.ao.quantization.quantize_dynamic(
            copy.deepcopy(layer), {nn.Linear}, dtype=torch.qint8
        )
    return {"fp32": layer, "int8 torch.ao dynamic": classic}


def interleaved(models, x, rounds=3):
    """Median and interquartile range per call, the models timed in turn within every round."""
    timers = {
        name: benchmark.Timer("m(x)", globals={"m": m, "x": x}, num_threads=THREADS)
        for name, m in models.items()
    }
    times = {name: [] for name in models}
    per_round = {name: [] for name in models}  # each round's median
    with torch.inference_mode():
        for timer in timers.values():
            timer.timeit(3)  # warm-up
        start = cpu_seconds()  # after the warm-up: a compile's worker processes are not load
        for round_ in range(rounds):
            for name in rotated(list(timers), round_):
                timer = timers[name]
                measured = timer.blocked_autorange(min_run_time=0.05).times
                times[name] += measured
                per_round[name].append(statistics.median(measured))
        for i, value in enumerate(others_since(start)):
            load[i] += value
    quartiles = {
        name: torch.tensor(t).quantile(torch.tensor([0.25, 0.5, 0.75])).tolist()
        for name, t in times.items()
    }
    return quartiles, per_round


print(
    f"torch threads: {torch.get_num_threads()}; median per call, IQR in brackets; measured on "
    "the machine that built this page"
)
cases = [
    ("digits MLP 64-256-256-10", int8_versions(mlp(64, 256, 3, 10)), [(1, 64), (64, 64)]),
    ("MLP 2048-2048-2048", int8_versions(mlp(2048, 2048, 2, 2048)), [(1, 2048), (64, 2048)]),
    # A realistic shape, fp32 against the classic path only (eager torchao is not timed here).
    ("BERT-base layer, random weights", bert_versions(), [(1, 128, 768)]),
]
for label, models, shapes in cases:
    for shape in shapes:
        x = torch.randn(*shape)
        print(f"{label}, batch {shape[0]}" + (f", {shape[1]} tokens:" if len(shape) == 3 else ":"))
        quartiles, rounds = interleaved(models, x)
        for name, (q1, median, q3) in quartiles.items():
            print(f"  {name:<24}~{median * 1e3:.3f} ms  [~{q1 * 1e3:.3f}, ~{q3 * 1e3:.3f}]")
        print("\n".join(compared(quartiles, rounds, "fp32")))
print(load_line(*load))
