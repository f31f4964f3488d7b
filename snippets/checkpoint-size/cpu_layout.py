"""torchao's CPU int4 layout packs its bytes, when quantize_ runs, for the kernels of that process:
a checkpoint saved under one set of kernels and loaded under another computes with other weights."""

import io
import os
import subprocess
import sys

import numpy as np
import torch

# Each half runs in its own interpreter, because ATen picks its kernels (AVX-512, AVX2, or none:
# "default") once per process, from ATEN_CPU_CAPABILITY. Inputs and checkpoint pass through pipes.
CHILD = r"""
import io, sys
import torch
from torch import nn
from torchao.quantization import quantize_

try:  # torchao 0.18: the CPU int4 layout (Int4OpaqueTensor) is in the prototype namespace
    from torchao.prototype.quantization.int4 import PrototypeInt4WeightOnlyConfig as Config
    config = Config(group_size=128)
except ImportError:  # older torchao: a packing format of Int4WeightOnlyConfig
    from torchao.quantization import Int4WeightOnlyConfig
    config = Int4WeightOnlyConfig(group_size=128, int4_packing_format="opaque")

torch.set_num_threads(1)
given = torch.load(io.BytesIO(sys.stdin.buffer.read()))
model = nn.Sequential(nn.Linear(1024, 1024)).eval()
model[0].load_state_dict({"weight": given["weight"], "bias": given["bias"]})
x = given["x"]
with torch.no_grad():
    reference = model(x)
quantize_(model, config)  # packed here, for this process's kernels


def error():
    with torch.no_grad():
        return (model(x) - reference).abs().max().item()


own = error()
if "checkpoint" in given:
    checkpoint = given["checkpoint"].numpy().tobytes()
else:
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    checkpoint = buffer.getvalue()
model.load_state_dict(torch.load(io.BytesIO(checkpoint)), assign=True)
out = {"own": own, "loaded": error(), "checkpoint": torch.frombuffer(bytearray(checkpoint), dtype=torch.uint8)}
buffer = io.BytesIO()
torch.save(out, buffer)
sys.stdout.buffer.write(buffer.getvalue())
"""


def run(kernels, given):
    env = dict(os.environ, ATEN_CPU_CAPABILITY=kernels)
    data = io.BytesIO()
    torch.save(given, data)
    done = subprocess.run(
        [sys.executable, "-c", CHILD],
        input=data.getvalue(),
        capture_output=True,
        env=env,
        check=True,
    )
    return torch.load(io.BytesIO(done.stdout))


# The fp32 layer and its inputs, drawn once here with numpy: torch.randn draws other values under
# ATen's "default" kernels, and every row below must use the same layer and the same inputs.
rng = np.random.default_rng(0)
given = {
    "weight": torch.from_numpy(rng.uniform(-1 / 32, 1 / 32, (1024, 1024)).astype(np.float32)),
    "bias": torch.from_numpy(rng.uniform(-1 / 32, 1 / 32, 1024).astype(np.float32)),
    "x": torch.from_numpy(rng.standard_normal((8, 1024)).astype(np.float32)),
}
# Quantized and saved under AVX2 kernels, and loaded back there; then loaded under ATen's
# baseline ("default") kernels, which every x86-64 CPU can run.
results = {"avx2": run("avx2", given)}
checkpoint = results["avx2"]["checkpoint"]
results["default"] = run("default", dict(given, checkpoint=checkpoint))
print(
    f"Linear(1024, 1024), int4 CPU layout, quantized under AVX2 kernels: {checkpoint.numel():,} bytes"
)
print(f"{'loaded under':<22}{'own quantization error':>24}{'error with the checkpoint':>27}")
for kernels, result in results.items():
    print(f"{kernels + ' kernels':<22}{result['own']:>24.3f}{result['loaded']:>27.3f}")
print("(largest absolute difference from the fp32 layer's outputs, on 8 random inputs)")

same, other = results["avx2"], results["default"]
print(
    "check: loaded under the kernels that packed it, the checkpoint computes as quantized: "
    f"{same['loaded'] == same['own']}"
)
print(
    "check: loaded under other kernels, its error is over ten times the quantization error: "
    f"{other['loaded'] > 10 * other['own']}"
)
