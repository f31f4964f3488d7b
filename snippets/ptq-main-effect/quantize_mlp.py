"""Post-training int8 quantization of a small digits classifier: size, accuracy, latency."""
import copy
import io
import time
import warnings

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn
from torchao.quantization import Int8DynamicActivationInt8WeightConfig, quantize_

torch.manual_seed(0)
X, y = load_digits(return_X_y=True)  # ships with scikit-learn: nothing is downloaded
X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, test_size=0.3, random_state=0, stratify=y)
X_train, X_test = torch.tensor(X_train, dtype=torch.float32), torch.tensor(X_test, dtype=torch.float32)
y_train, y_test = torch.tensor(y_train), torch.tensor(y_test)

model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(20):
    for batch in torch.randperm(len(X_train)).split(64):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(X_train[batch]), y_train[batch]).backward()
        optimizer.step()
model.eval()

# The classic eager API still works, but warns on every call. (Its C++ kernels add a UserWarning
# only once per process, so whether it shows would depend on what ran before: it is left out.)
print(f"torch {torch.__version__}, deprecation warnings raised by one quantize_dynamic call:")
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    classic = torch.ao.quantization.quantize_dynamic(copy.deepcopy(model), {nn.Linear}, dtype=torch.qint8)
for warning in caught:
    if issubclass(warning.category, DeprecationWarning):
        print(f"{warning.category.__name__}: {str(warning.message).splitlines()[0].strip()}")

# Its successor: torchao swaps each Linear weight for an int8 tensor subclass in place.
torchao_model = copy.deepcopy(model)
quantize_(torchao_model, Int8DynamicActivationInt8WeightConfig())


def accuracy(m):
    with torch.inference_mode():
        return (m(X_test).argmax(dim=1) == y_test).float().mean().item()


def saved_bytes(m):
    buffer = io.BytesIO()
    torch.save(m.state_dict(), buffer)
    return buffer.tell()


def latency_ms(m, batch, runs=200):
    timings = []
    with torch.inference_mode():
        for _ in range(runs):
            start = time.perf_counter()
            m(batch)
            timings.append(time.perf_counter() - start)
    return sorted(timings)[runs // 2] * 1000  # median


fp32_bytes = saved_bytes(model)
print()
print(f"{'model':<26}{'saved bytes':>12}{'vs fp32':>9}{'accuracy':>10}  median latency: 1 sample, {len(X_test)} samples")
for name, m in [("fp32", model), ("int8 torch.ao dynamic", classic), ("int8 torchao quantize_", torchao_model)]:
    size = saved_bytes(m)
    print(f"{name:<26}{size:>12}{size / fp32_bytes:>8.2f}x{accuracy(m):>10.2%}  ~{latency_ms(m, X_test[:1]):.3f} ms, ~{latency_ms(m, X_test):.3f} ms")
