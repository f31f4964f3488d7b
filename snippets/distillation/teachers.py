"""The teachers: a wide MLP (64-256-256-10) trained on digits' labels once per seed, and what its
softened outputs add to the labels at each distillation temperature."""

import os
import statistics

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

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn
from torch.nn import functional as F

# One thread: float sums then run in one order, so the results do not depend on the core count.
torch.set_num_threads(1)
X, y = load_digits(return_X_y=True)  # ships with scikit-learn: nothing is downloaded
X_rest, X_test, y_rest, y_test = train_test_split(
    X / 16.0, y, test_size=0.3, random_state=0, stratify=y
)
# The temperature is chosen on a validation split; the test set only reports.
X_train, X_val, y_train, y_val = train_test_split(
    X_rest, y_rest, test_size=0.2, random_state=0, stratify=y_rest
)
X_train, X_val, X_test = (torch.tensor(a, dtype=torch.float32) for a in (X_train, X_val, X_test))
y_train, y_val, y_test = torch.tensor(y_train), torch.tensor(y_val), torch.tensor(y_test)
SEEDS = range(5)
TEMPERATURES = [1.0, 2.0, 4.0, 8.0]


def accuracy(logits, labels):
    """Percent of correct predictions along the last dimension (one value per stacked model)."""
    return (logits.argmax(dim=-1) == labels).float().mean(dim=-1) * 100


def train_teacher(seed, epochs=20):
    torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    for _epoch in range(epochs):
        for batch in torch.randperm(len(X_train)).split(128):
            optimizer.zero_grad()
            F.cross_entropy(model(X_train[batch]), y_train[batch]).backward()
            optimizer.step()
    return model.eval()


teachers = [train_teacher(seed) for seed in SEEDS]
with torch.no_grad():
    # The students learn from these: each teacher's logits on the training digits, computed once.
    teacher_logits = [teacher(X_train) for teacher in teachers]
    test_logits = [teacher(X_test) for teacher in teachers]
train_acc = [accuracy(logits, y_train).item() for logits in teacher_logits]
test_acc = [accuracy(logits, y_test).item() for logits in test_logits]

print(f"train {len(y_train)}, validation {len(y_val)}, test {len(y_test)} digits (stratified)")
print(f"teacher 64-256-256-10, {len(SEEDS)} seeds, accuracy %, mean ± sd:")
print(f"  train {statistics.mean(train_acc):6.2f} ± {statistics.stdev(train_acc):.2f}")
print(f"  test  {statistics.mean(test_acc):6.2f} ± {statistics.stdev(test_acc):.2f}")
# What a soft target carries beyond the label: the probability it leaves to the other nine digits.
print()
print("the teachers' soft targets on the training digits, mean over digits and seeds:")
print("  T   probability on the label   on the other nine")
on_label = {}
for T in TEMPERATURES:
    on_label[T] = statistics.mean(
        F.softmax(logits / T, dim=1).gather(1, y_train[:, None]).mean().item()
        for logits in teacher_logits
    )
    print(f"  {T:<3g} {on_label[T]:24.3f}   {1 - on_label[T]:16.3f}")
print(f"check: the teachers fit the training digits, over 99% right: {min(train_acc) > 99}")
print(f"check: at T = 1 the soft targets put over 0.9 on the label: {on_label[1.0] > 0.9}")
print(f"check: at T = 8 they put more on the other nine digits: {on_label[8.0] < 0.5}")
