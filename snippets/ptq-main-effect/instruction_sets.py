"""The same torchao int8 model at this CPU's best instruction set and with oneDNN capped at AVX2:
both checked against the fp32 model's accuracy.

oneDNN reads ONEDNN_MAX_CPU_ISA once, when it starts: the capped run is a child process. On a
CPU with AVX512-VNNI, the capped run's int8 sums can saturate (torch._int_mm still calls oneDNN,
whose AVX2 kernels add products in 16-bit pairs); on one without VNNI, torch._int_mm sums in its
own exact int32 loop and the two runs are the same. So the accuracies are checked, not printed."""

import contextlib
import io
import os
import runpy
import subprocess
import sys

import torch

THIS = "snippets/ptq-main-effect/instruction_sets.py"  # run from the repository root, like quantize_mlp.py
if sys.argv[1:] == ["--child"]:
    # In the child: the model of quantize_mlp.py (run from the repository root), evaluated under the cap.
    with contextlib.redirect_stdout(io.StringIO()):
        run = runpy.run_path("snippets/ptq-main-effect/quantize_mlp.py")
    print(" ".join(map(str, run["rows"]["int8 torchao quantize_"].tolist())))
    sys.exit()

with contextlib.redirect_stdout(io.StringIO()):
    run = runpy.run_path("snippets/ptq-main-effect/quantize_mlp.py")
y_test, here, fp32 = run["y_test"], run["rows"]["int8 torchao quantize_"], run["rows"]["fp32"]
child = subprocess.run(
    [sys.executable, THIS, "--child"],
    env={**os.environ, "ONEDNN_MAX_CPU_ISA": "AVX2"},
    capture_output=True,
    text=True,
    check=True,
)
capped = torch.tensor([int(label) for label in child.stdout.split()])


def points_below_fp32(predicted: torch.Tensor) -> float:
    return ((fp32 == y_test).float().mean() - (predicted == y_test).float().mean()).item() * 100


print(f"torch CPU capability here: ~{torch.backends.cpu.get_cpu_capability()}")
print(
    "check: at this CPU's best, torchao int8 stays within 2 points of the fp32 accuracy: "
    f"{points_below_fp32(here) < 2.0}"
)
print(
    "check: with oneDNN capped at AVX2, torchao int8 stays within 2 points of the fp32 accuracy: "
    f"{points_below_fp32(capped) < 2.0}"
)
