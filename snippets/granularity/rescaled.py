"""Per-tensor against per-channel int4 weights, on a model whose channels differ in scale.

ReLU is positively homogeneous: dividing a hidden unit's incoming weights and bias by 30 and
multiplying its outgoing weights by 30 leaves the function unchanged. It only changes the scale
of that unit's row in the first weight matrix, which is what per-tensor quantization is blind to."""

import copy

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

# One thread: float sums then run in one order, so the results do not depend on the core count.
torch.set_num_threads(1)
torch.manual_seed(0)
X, y = load_digits(return_X_y=True)  # ships with scikit-learn: nothing is downloaded
X_train, X_test, y_train, y_test = train_test_split(
    X / 16.0, y, test_size=0.3, random_state=0, stratify=y
)
X_train, X_test = (
    torch.tensor(X_train, dtype=torch.float32),
    torch.tensor(X_test, dtype=torch.float32),
)
y_train, y_test = torch.tensor(y_train), torch.tensor(y_test)

model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for _epoch in range(20):
    for batch in torch.randperm(len(X_train)).split(64):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(X_train[batch]), y_train[batch]).backward()
        optimizer.step()
model.eval()

rescaled = copy.deepcopy(model)
with torch.no_grad():
    half = torch.arange(64)  # the first 64 of the 128 hidden units
    rescaled[0].weight[half] /= 30
    rescaled[0].bias[half] /= 30
    rescaled[2].weight[:, half] *= 30


def accuracy(m):
    with torch.inference_mode():
        return (m(X_test).argmax(dim=1) == y_test).float().mean().item() * 100


def fake_quantized(weight, bits, per_channel):
    """Symmetric round-to-nearest: one scale for the tensor, or one per output channel (row)."""
    largest = 2 ** (bits - 1) - 1
    peak = weight.abs().amax(dim=1, keepdim=True) if per_channel else weight.abs().max()
    scale = peak / largest
    return (weight / scale).round().clamp(-largest - 1, largest) * scale


def sqnr_db(original, quantized):
    """Signal-to-quantization-noise ratio: how far above the error the signal is, in decibels."""
    return (10 * torch.log10(original.pow(2).sum() / (original - quantized).pow(2).sum())).item()


def layer_outputs(m):
    with torch.inference_mode():
        hidden = m[0](X_test)
        return hidden, m(X_test)


print(
    f"test set: {len(y_test)} digits; one test prediction is worth {100 / len(y_test):.2f} points"
)
print(f"fp32 accuracy: {accuracy(model):.2f}% as trained, {accuracy(rescaled):.2f}% rescaled")
with torch.inference_mode():
    same_function = torch.allclose(model(X_test), rescaled(X_test), atol=1e-4)
print(f"check: the rescaled model computes the same function: {same_function}")
print()
print("first layer's weights quantized to int4, everything else fp32:")
print("SQNR of each layer's output against the same model in fp32, on the test set")
print(f"{'model':<10}{'granularity':<13}{'accuracy':>9}{'SQNR layer 1':>14}{'layer 2':>9}")
results = {}
for name, m in [("trained", model), ("rescaled", rescaled)]:
    for per_channel in (False, True):
        quantized = copy.deepcopy(m)
        with torch.no_grad():
            quantized[0].weight.copy_(fake_quantized(m[0].weight, 4, per_channel))
        granularity = "per channel" if per_channel else "per tensor"
        results[name, granularity] = accuracy(quantized)
        (hidden, logits), (hidden_q, logits_q) = layer_outputs(m), layer_outputs(quantized)
        snr = f"{sqnr_db(hidden, hidden_q):>11.1f} dB{sqnr_db(logits, logits_q):>6.1f} dB"
        print(f"{name:<10}{granularity:<13}{results[name, granularity]:>8.2f}%{snr}")

drop = accuracy(rescaled) - results["rescaled", "per tensor"]
print()
print(f"check: per-tensor int4 weights cost the rescaled model more than 2 points: {drop >= 2.0}")
print(
    "check: per channel and per tensor are more than 1 point apart on the rescaled model: "
    f"{abs(results['rescaled', 'per channel'] - results['rescaled', 'per tensor']) >= 1.0}"
)
