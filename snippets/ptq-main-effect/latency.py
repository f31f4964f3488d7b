"""Latency of fp32 and int8 models, eager: torch.utils.benchmark, warmed up, one thread, interleaved."""

import copy
import warnings

import torch
from torch import nn
from torch.utils import benchmark
from torchao.quantization import Int8DynamicActivationInt8WeightConfig, quantize_

THREADS = 1  # fixed, so that runs on different machines and builds compare like with like
torch.set_num_threads(THREADS)
torch.manual_seed(0)


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


def interleaved(models, x, rounds=5):
    """Median and interquartile range per call, the models timed in turn within every round."""
    timers = {
        name: benchmark.Timer("m(x)", globals={"m": m, "x": x}, num_threads=THREADS)
        for name, m in models.items()
    }
    times = {name: [] for name in models}
    with torch.inference_mode():
        for timer in timers.values():
            timer.timeit(10)  # warm-up
        for _ in range(rounds):
            for name, timer in timers.items():
                times[name] += timer.blocked_autorange(min_run_time=0.05).times
    return {
        name: torch.tensor(t).quantile(torch.tensor([0.25, 0.5, 0.75])).tolist()
        for name, t in times.items()
    }


print(
    f"torch threads: {torch.get_num_threads()}; median per call, IQR in brackets; measured on "
    "the machine that built this page"
)
cases = [
    ("digits MLP 64-256-256-10", mlp(64, 256, 3, 10), 64),
    ("MLP 2048-2048-2048", mlp(2048, 2048, 2, 2048), 2048),
]
for label, model, inputs in cases:
    models = int8_versions(model)
    for batch in (1, 64):
        x = torch.randn(batch, inputs)
        print(f"{label}, batch {batch}:")
        for name, (q1, median, q3) in interleaved(models, x).items():
            print(f"  {name:<24}~{median * 1e3:.3f} ms  [~{q1 * 1e3:.3f}, ~{q3 * 1e3:.3f}]")
