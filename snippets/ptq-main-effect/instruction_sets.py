"""The same torchao int8 model's accuracy at this CPU's best instruction set and with oneDNN capped at AVX2.

oneDNN reads ONEDNN_MAX_CPU_ISA once, when it starts: the capped run is a child process. Both
accuracies depend on the CPU, so both are printed as measured (~)."""

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
y_test, here = run["y_test"], run["rows"]["int8 torchao quantize_"]
child = subprocess.run(
    [sys.executable, THIS, "--child"],
    env={**os.environ, "ONEDNN_MAX_CPU_ISA": "AVX2"},
    capture_output=True,
    text=True,
    check=True,
)
capped = torch.tensor([int(label) for label in child.stdout.split()])
print(f"torch CPU capability here: ~{torch.backends.cpu.get_cpu_capability()}")
print(
    f"int8 torchao accuracy, oneDNN at this CPU's best: ~{(here == y_test).float().mean().item() * 100:.2f}%"
)
print(
    f"int8 torchao accuracy, oneDNN capped at AVX2:     ~{(capped == y_test).float().mean().item() * 100:.2f}%"
)
print(
    f"test predictions that differ between the two: ~{int((here != capped).sum())} of {len(y_test)}"
)
