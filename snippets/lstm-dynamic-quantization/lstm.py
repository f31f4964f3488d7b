"""Dynamic int8 quantization of an LSTM that reads each 8x8 digit as 8 rows of 8 pixels."""

import copy
import io
import os
import statistics
import warnings

# The kernels of a CPU with AVX2 only, on every x86-64 CPU, so that the accuracies below match
# the page to the last digit: ATen, MKL, oneDNN and fbgemm each pick their instruction paths by
# the CPU, and a few epochs of training (or an int8 rounding) turn a last-bit difference into
# another prediction. They read these once, when torch first computes: set before it is imported.
os.environ.update(
    ATEN_CPU_CAPABILITY="avx2",
    MKL_ENABLE_INSTRUCTIONS="AVX2",
    MKL_CBWR="AVX2",
    ONEDNN_MAX_CPU_ISA="AVX2",
    FBGEMM_ENABLE_INSTRUCTIONS="AVX2",
)

import torch
from scipy.stats import binomtest
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn
from torch.ao.quantization import per_channel_dynamic_qconfig

SEEDS = range(5)  # training seeds; the table shows the first one's models in full
# One thread: float sums then run in one order, so the results do not depend on the core count.
torch.set_num_threads(1)
X, y = load_digits(return_X_y=True)  # ships with scikit-learn: nothing is downloaded
X_train, X_test, y_train, y_test = train_test_split(
    X / 16.0, y, test_size=0.3, random_state=0, stratify=y
)
X_train = torch.tensor(X_train, dtype=torch.float32).reshape(
    -1, 8, 8
)  # (batch, time = row, features = pixels)
X_test = torch.tensor(X_test, dtype=torch.float32).reshape(-1, 8, 8)
y_train, y_test = torch.tensor(y_train), torch.tensor(y_test)


class DigitLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(input_size=8, hidden_size=128, batch_first=True)
        self.head = nn.Linear(128, 10)

    def forward(self, x):
        output, _ = self.lstm(x)
        return self.head(output[:, -1])


def trained(seed):
    torch.manual_seed(seed)
    model = DigitLSTM()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _epoch in range(15):
        for batch in torch.randperm(len(X_train)).split(64):
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(X_train[batch]), y_train[batch]).backward()
            optimizer.step()
    return model.eval()


def int8(model):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the deprecation warnings are shown on the PTQ page
        return torch.ao.quantization.quantize_dynamic(
            copy.deepcopy(model), {nn.LSTM, nn.Linear}, dtype=torch.qint8
        )


models = [trained(seed) for seed in SEEDS]
model = models[0]

with warnings.catch_warnings():
    warnings.simplefilter(
        "ignore"
    )  # the deprecation warnings are shown on the post-training quantization page
    variants = {
        "fp32": model,
        "int8": int8(model),
        "int8 per-channel": torch.ao.quantization.quantize_dynamic(
            copy.deepcopy(model),
            {nn.LSTM: per_channel_dynamic_qconfig, nn.Linear: per_channel_dynamic_qconfig},
        ),
        "int8 Linear only": torch.ao.quantization.quantize_dynamic(
            copy.deepcopy(model), {nn.Linear}, dtype=torch.qint8
        ),
    }
for name in ("int8", "int8 per-channel"):
    lstm = variants[name].lstm
    scheme = lstm._weight_bias()["weight"]["weight_ih_l0"].qscheme()
    print(f"{name}: lstm is {type(lstm).__module__}.{type(lstm).__name__}, weights {scheme}")


def predictions(m):
    with torch.inference_mode():
        return m(X_test).argmax(dim=1)


def saved_bytes(m):
    buffer = io.BytesIO()
    torch.save(m.state_dict(), buffer)
    return buffer.tell()


def mcnemar(a, b):
    """Test examples right in one model and wrong in the other, and the exact McNemar p-value."""
    only_a, only_b = (
        int(((a == y_test) & (b != y_test)).sum()),
        int(((a != y_test) & (b == y_test)).sum()),
    )
    return (
        only_a,
        only_b,
        binomtest(min(only_a, only_b), only_a + only_b).pvalue if only_a + only_b else 1.0,
    )


predicted = {name: predictions(m) for name, m in variants.items()}
accuracy = {name: (p == y_test).float().mean().item() * 100 for name, p in predicted.items()}
fp32_bytes = saved_bytes(model)
print()
print(
    f"test set: {len(y_test)} digits; one test prediction is worth {100 / len(y_test):.2f} points"
)
print(
    f"{'model':<18}{'accuracy':>10}{'saved bytes':>13}{'vs fp32':>9}  vs fp32: only fp32 right, "
    "only this right, McNemar p"
)
for name, m in variants.items():
    only_fp32, only_this, p = mcnemar(predicted["fp32"], predicted[name])
    comparison = "" if name == "fp32" else f"  {only_fp32:>3}, {only_this:>3}, p = {p:.2f}"
    print(
        f"{name:<18}{accuracy[name]:>9.2f}%{saved_bytes(m):>13}{saved_bytes(m) / fp32_bytes:>8.2f}x{comparison}"
    )

# How large the drop can be, paired on the same test examples: the drop is at most the share of
# examples only fp32 gets right, and that share's exact (Clopper-Pearson) 95% upper bound holds
# however few they are. Each seed's model is its own quantization, so each gets its own bound.
n = len(y_test)
print()
print(
    f"each training seed, fp32 minus int8 on the same {n} examples, and its exact 95% upper bound:"
)
drops, uppers = [], []
for seed, trained_model in zip(SEEDS, models, strict=True):
    fp32_predicted, int8_predicted = predictions(trained_model), predictions(int8(trained_model))
    only_fp32, only_int8, _ = mcnemar(fp32_predicted, int8_predicted)
    drops.append((only_fp32 - only_int8) * 100 / n)
    uppers.append(binomtest(only_fp32, n).proportion_ci(0.95, method="exact").high * 100)
    print(
        f"  seed {seed}: fp32 {(fp32_predicted == y_test).float().mean().item() * 100:.2f}%, "
        f"drop {drops[-1]:+.2f} points ({only_fp32} right only in fp32, {only_int8} only in int8), "
        f"upper bound {uppers[-1]:.2f}"
    )
print(
    f"  over the {len(SEEDS)} seeds: drop {statistics.mean(drops):+.2f} ± {statistics.stdev(drops):.2f} "
    f"points (mean ± sd); the largest upper bound {max(uppers):.2f} points"
)
print()
print(
    f"claim: the int8 model saves to under a third of the fp32 file: {saved_bytes(variants['int8']) < fp32_bytes / 3}"
)
print(
    "claim: dynamic int8 costs this LSTM a small drop, under the question's 3 points, in every "
    f"seed: {max(drops) < 3.0}"
)
print(
    "caveat: the question's 3-point drop lies above the upper bound of what dynamic int8 cost "
    f"here, in every seed: {max(uppers) < 3.0}"
)
print()
linear_only = saved_bytes(variants["int8 Linear only"]) / fp32_bytes
print(
    f"quantizing the Linear layer only keeps {linear_only:.0%} of the fp32 file: the LSTM holds nearly all the weights"
)

# The option of the page's answer prediction that this run shows (the build keys it on this line).
# Decided by the exact upper bounds, as the caveat is: a point estimate under 1 point would not
# rule out a 3-point cost.
if max(uppers) < 3.0:
    answer = (
        "More than dynamic int8 cost this LSTM: count the changed predictions, look for a cause"
    )
else:
    answer = "A normal, expected cost of dynamic quantization"
print(f"answer: {answer}")
