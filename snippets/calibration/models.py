"""The model the calibration snippets share: a small MLP with BatchNorm and Dropout, trained on
scikit-learn's 8x8 digits with 5 seeds, and PT2E static int8 (torch.export, prepare_pt2e with
X86InductorQuantizer, calibration, convert_pt2e)."""

import os

# The kernels of a CPU with AVX2 only, on every x86-64 CPU, so that the accuracies below match
# the page to the last digit: ATen, MKL, oneDNN and fbgemm each pick their instruction paths by
# the CPU, and a few epochs of training turn a last-bit difference into another prediction.
# They read these once, when torch first computes: set before it is imported.
os.environ.update(
    ATEN_CPU_CAPABILITY="avx2",
    MKL_ENABLE_INSTRUCTIONS="AVX2",
    MKL_CBWR="AVX2",
    ONEDNN_MAX_CPU_ISA="AVX2",
    FBGEMM_ENABLE_INSTRUCTIONS="AVX2",
)

import copy
import dataclasses
import statistics

import numpy as np
import torch
from scipy import stats
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn
from torchao.quantization.pt2e import MinMaxObserver
from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e
from torchao.quantization.pt2e.quantizer import QuantizationConfig
from torchao.quantization.pt2e.quantizer.x86_inductor_quantizer import (
    X86InductorQuantizer,
    get_default_x86_inductor_quantization_config,
)

# One thread: float sums then run in one order, so the results do not depend on the core count.
torch.set_num_threads(1)
SEEDS = range(5)
X, y = load_digits(return_X_y=True)  # ships with scikit-learn: nothing is downloaded
X = torch.tensor(X / 16.0, dtype=torch.float32).reshape(-1, 1, 8, 8)
y = torch.tensor(y)
# 60% training (the calibration samples come from it), 20% validation, 20% test (only reported).
train, rest = train_test_split(np.arange(len(y)), test_size=0.4, random_state=0, stratify=y)
val, test = train_test_split(rest, test_size=0.5, random_state=0, stratify=y[rest])
X_train, y_train, X_val, y_val = X[train], y[train], X[val], y[val]
X_test, y_test = X[test], y[test]


def trained(seed):
    torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Flatten(),
        nn.Linear(64, 128),
        nn.BatchNorm1d(128),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(128, 10),
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _epoch in range(5):
        for batch in torch.randperm(len(X_train)).split(64):
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(X_train[batch]), y_train[batch]).backward()
            optimizer.step()
    return model.eval()


def exported(model, mode="eval"):
    """torch.export captures the model in the mode it is in, and the graph keeps that mode."""
    model.train(mode == "train")
    graph = torch.export.export(
        model, (X_train[:32],), dynamic_shapes=({0: torch.export.Dim("batch")},)
    ).module()
    model.eval()
    return graph


def calibration_sets(seed):
    """512 training digits in a random order, and 512 images of Gaussian noise (torch.randn):
    the first n of either are the n-sample calibration set."""
    generator = torch.Generator().manual_seed(1000 + seed)
    digits = X_train[torch.randperm(len(X_train), generator=generator)[:512]]
    return {"digits": digits, "noise": torch.randn(512, 1, 8, 8, generator=generator)}


def minmax_config():
    """The default config with MinMaxObserver for activations: the default config's function takes
    no observer, so its QuantizationConfig is rebuilt with another activation spec."""
    default = get_default_x86_inductor_quantization_config()
    spec = dataclasses.replace(
        default.input_activation, observer_or_fake_quant_ctr=MinMaxObserver.with_args(eps=2**-12)
    )
    return QuantizationConfig(spec, spec, default.weight, default.bias, is_qat=False)


def prepared(graph, config=None):
    """prepare_pt2e on a copy of the exported graph, which it changes in place."""
    quantizer = X86InductorQuantizer()
    quantizer.set_global(config or get_default_x86_inductor_quantization_config())
    return prepare_pt2e(copy.deepcopy(graph), quantizer)


def int8(graph, samples, config=None):
    """Prepare, calibrate in batches of 32 (the observers record activation ranges), convert."""
    model = prepared(graph, config)
    with torch.no_grad():
        for batch in samples.split(32):
            model(batch)
    return convert_pt2e(model)


def logits(model, inputs=X_test):
    with torch.no_grad():
        return model(inputs)


def accuracy(output, labels=y_test):
    return (output.argmax(dim=1) == labels).float().mean().item() * 100


def sqnr_db(reference, output):
    """Signal-to-quantization-noise ratio of the int8 logits against fp32's, in dB."""
    return 10 * torch.log10(reference.pow(2).sum() / (reference - output).pow(2).sum()).item()


def paired(a, b):
    """Mean of the per-seed differences a - b, and its 95% t interval: the seeds are shared."""
    differences = [x - y for x, y in zip(a, b, strict=True)]
    middle = statistics.mean(differences)
    half = stats.t.ppf(0.975, len(differences) - 1) * statistics.stdev(differences)
    half /= len(differences) ** 0.5
    return middle, middle - half, middle + half


def within_a_point(a, b):
    """'Equal' here: the 95% interval of the paired difference lies inside ±1 point."""
    _, low, high = paired(a, b)
    return low > -1 and high < 1


def table(rows, reference):
    """rows maps a setting to its (accuracies, SQNRs) over the seeds."""
    print(f"{'':<27}{'accuracy %':>14}{'minus reference [95% CI]':>28}{'SQNR dB, lowest':>19}")
    for label, (accuracies, sqnrs) in rows.items():
        middle, low, high = paired(accuracies, reference)
        spread = f"{statistics.mean(accuracies):.2f} ± {statistics.stdev(accuracies):.2f}"
        print(
            f"{label:<27}{spread:>14}{middle:>+12.2f} [{low:+.2f}, {high:+.2f}]"
            f"{statistics.mean(sqnrs):>11.1f}, {min(sqnrs):.1f}"
        )


models = [trained(seed) for seed in SEEDS]
fp32_logits = [logits(model) for model in models]
print(
    f"digits: {len(train)} training, {len(val)} validation, {len(test)} test images; "
    f"one test prediction is worth {100 / len(test):.2f} points"
)
val_accuracy = [accuracy(logits(model, X_val), y_val) for model in models]
test_accuracy = [accuracy(output) for output in fp32_logits]
print(f"fp32 accuracy %, mean ± sd over {len(SEEDS)} seeds:")
print(f"  validation {statistics.mean(val_accuracy):.2f} ± {statistics.stdev(val_accuracy):.2f}")
print(f"  test       {statistics.mean(test_accuracy):.2f} ± {statistics.stdev(test_accuracy):.2f}")

# What prepare_pt2e does to this model: only when this file is run itself, not by the other
# snippets (runpy gives them another __name__), which need only the models and helpers above.
if __name__ == "__main__":
    observer = get_default_x86_inductor_quantization_config().input_activation
    observer_name = type(observer.observer_or_fake_quant_ctr()).__name__
    graph = exported(models[0])
    observed = prepared(graph)
    kinds = [type(m).__name__ for m in observed.modules() if type(m).__name__.endswith("Observer")]
    print(f"the default config's activation observer: {observer_name}")
    print(
        "batch_norm ops: exported graph",
        sum("batch_norm" in str(node.target) for node in graph.graph.nodes),
        "-> after prepare_pt2e",
        sum("batch_norm" in str(node.target) for node in observed.graph.nodes),
    )
    print(
        "observers prepare_pt2e inserted:",
        ", ".join(f"{kinds.count(k)} {k}" for k in sorted(set(kinds))),
    )
    print(
        "check: the default x86 config observes activations with a HistogramObserver: "
        f"{observer_name == 'HistogramObserver'}"
    )
