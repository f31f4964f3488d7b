"""Latency of the LSTM classifier, fp32 against dynamic int8: torch.utils.benchmark, one thread, interleaved."""

import copy
import warnings

import torch
from torch import nn
from torch.utils import benchmark

THREADS = 1  # fixed, so that runs on different machines and builds compare like with like
torch.set_num_threads(THREADS)
torch.manual_seed(0)


class DigitLSTM(nn.Module):  # the shape of lstm.py's model; latency does not depend on training
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(input_size=8, hidden_size=128, batch_first=True)
        self.head = nn.Linear(128, 10)

    def forward(self, x):
        output, _ = self.lstm(x)
        return self.head(output[:, -1])


model = DigitLSTM().eval()
with warnings.catch_warnings():
    warnings.simplefilter(
        "ignore"
    )  # the deprecation warnings are shown on the post-training quantization page
    int8 = torch.ao.quantization.quantize_dynamic(
        copy.deepcopy(model), {nn.LSTM, nn.Linear}, dtype=torch.qint8
    )

print(
    f"torch threads: {torch.get_num_threads()}; median per call, IQR in brackets; measured on "
    "the machine that built this page"
)
for batch in (1, 540):
    x = torch.rand(batch, 8, 8)
    timers = {
        name: benchmark.Timer("m(x)", globals={"m": m, "x": x}, num_threads=THREADS)
        for name, m in [("fp32", model), ("int8", int8)]
    }
    times = {name: [] for name in timers}
    with torch.inference_mode():
        for timer in timers.values():
            timer.timeit(10)  # warm-up
        for _ in range(5):
            for name, timer in timers.items():
                times[name] += timer.blocked_autorange(min_run_time=0.05).times
    print(f"batch {batch}:")
    for name, t in times.items():
        q1, median, q3 = torch.tensor(t).quantile(torch.tensor([0.25, 0.5, 0.75])).tolist()
        print(f"  {name:<6}~{median * 1e3:.3f} ms  [~{q1 * 1e3:.3f}, ~{q3 * 1e3:.3f}]")
