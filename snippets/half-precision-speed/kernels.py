"""Which kernel runs the matrix multiply of a 2048-wide Linear in fp32, bf16 and fp16: as on a CPU
with AVX2 only (the same on every x86-64 CPU), and with this machine's own kernels. oneDNN and MKL
name each kernel they run (ONEDNN_VERBOSE, MKL_VERBOSE); where neither speaks, PyTorch's own
loops ran. Each setting runs in a fresh Python, since the libraries read it when torch starts."""

import os
import re
import subprocess
import sys

# What each fresh Python runs: one call of the Linear per dtype and batch, after a warm-up call,
# between two markers; the C libraries' buffered output is flushed before each marker.
CHILD = r"""
import ctypes, torch
from torch import nn
libc = ctypes.CDLL(None)
torch.set_num_threads(1)
torch.manual_seed(0)
print("capability", torch.backends.cpu.get_cpu_capability())
print("support", torch.ops.mkldnn._is_mkldnn_bf16_supported(),
      torch.ops.mkldnn._is_mkldnn_fp16_supported(), flush=True)
layer, x = nn.Linear(2048, 2048), torch.randn(64, 2048)
with torch.inference_mode():
    exact = layer(x)
    for name, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16), ("fp16", torch.float16)):
        half = nn.Linear(2048, 2048).to(dtype)
        half.load_state_dict(layer.state_dict())
        error = ((half(x.to(dtype)).float() - exact).abs().max() / exact.abs().max()).item()
        print("error", name, error, flush=True)
        for batch in (1, 64):
            xb = x[:batch].to(dtype)
            half(xb)
            libc.fflush(None)
            print("case", name, batch, flush=True)
            with torch.profiler.profile() as profile:
                half(xb)
            libc.fflush(None)
            ops = sorted({e.name for e in profile.events() if "mm" in e.name or "linear" in e.name})
            print("ops", " ".join(ops), flush=True)
"""
AVX2_ONLY = dict(
    ATEN_CPU_CAPABILITY="avx2",
    MKL_ENABLE_INSTRUCTIONS="AVX2",
    MKL_CBWR="AVX2",
    ONEDNN_MAX_CPU_ISA="AVX2",
    FBGEMM_ENABLE_INSTRUCTIONS="AVX2",
)


def run(caps: dict) -> dict:
    """The kernel each case ran, the profiler's operators, the support oneDNN reports, the
    outputs' errors, oneDNN's instruction set (if it was called), from one fresh Python."""
    env = dict(os.environ, **caps, ONEDNN_VERBOSE="1", MKL_VERBOSE="1", OMP_NUM_THREADS="1")
    done = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise RuntimeError(f"the fresh Python failed:\n{done.stderr[-2000:]}")
    found = {"kernels": {}, "ops": {}, "errors": {}, "isa": "not called"}
    case = None
    for line in done.stdout.splitlines():
        words = line.split()
        if line.startswith("capability"):
            found["capability"] = words[1]
        elif line.startswith("support"):
            found["support"] = words[1:]
        elif line.startswith("error"):
            found["errors"][words[1]] = float(words[2])
        elif line.startswith("case"):
            case = f"{words[1]}, batch {words[2]}"
            found["kernels"][case] = []
        elif line.startswith("ops"):
            found["ops"][case] = " ".join(words[1:])
            case = None
        elif line.startswith("onednn_verbose") and ",info,cpu,isa:" in line:
            found["isa"] = line.split("isa:", 1)[1]
        elif case and line.startswith("onednn_verbose") and ",exec," in line:
            fields = line.split(",")
            at = fields.index("exec")  # then the engine, the primitive, its implementation
            found["kernels"][case].append(f"oneDNN {fields[at + 2]} {fields[at + 3]}")
        elif case and (mkl := re.match(r"MKL_VERBOSE ([A-Z0-9_]+)\(", line)):
            found["kernels"][case].append(f"MKL {mkl[1]}")
    return found


def kernel(names: list) -> str:
    return ", ".join(names) or "neither oneDNN nor MKL: PyTorch's own loops"


flags = set()
try:
    with open("/proc/cpuinfo") as cpuinfo:
        flags = set(next(ln for ln in cpuinfo if ln.startswith("flags")).split(":")[1].split())
except (OSError, StopIteration):
    pass
avx2, own = run(AVX2_ONLY), run({})
print("this machine:")
print(f"  ATen's kernels (torch.backends.cpu.get_cpu_capability()): ~{own['capability']}")
for flag, what in [
    ("avx512_bf16", "bf16 dot products"),
    ("amx_bf16", "bf16 matrix tiles"),
    ("avx512_fp16", "fp16 arithmetic"),
    ("amx_fp16", "fp16 matrix tiles"),
]:
    print(f"  {what} ({flag}): ~{'yes' if flag in flags else 'no'}")

print("as on a CPU with AVX2 only (ATen, oneDNN and MKL capped at AVX2):")
print(f"  oneDNN reports bf16 support: {avx2['support'][0]}, fp16 support: {avx2['support'][1]}")
for case, names in avx2["kernels"].items():
    print(f"  {case + ':':<16}{kernel(names)}")
# One set of operators for every case, in both runs: the kernel is picked inside them.
same_ops = len({*avx2["ops"].values(), *own["ops"].values()}) == 1
print(f"  the profiler's operators, each case: {avx2['ops']['fp32, batch 1']}")
print("with this machine's own kernels:")
print(f"  oneDNN's instruction set: ~{own['isa']}")
print(f"  oneDNN reports bf16 support, fp16 support: ~{own['support'][0]}, {own['support'][1]}")
for case, names in own["kernels"].items():
    print(f"  {case}: ~{kernel(names)}")

print(
    "check: the profiler names the same operators for every dtype, with AVX2 only and with this "
    f"machine's kernels (the kernel is picked inside them): {same_ops}"
)
in_loops = [not avx2["kernels"][f"{n}, batch {b}"] for n in ("bf16", "fp16") for b in (1, 64)]
in_mkl = [avx2["kernels"][f"fp32, batch {b}"] == ["MKL SGEMM"] for b in (1, 64)]
print(
    "check: with AVX2 only, fp32 runs in MKL and both half types in PyTorch's own loops: "
    f"{all(in_loops) and all(in_mkl)}"
)
print(
    "check: on this machine's kernels, the casts move the outputs from fp32 by less than 1% "
    f"(bf16) and 0.1% (fp16): {own['errors']['bf16'] < 0.01 and own['errors']['fp16'] < 0.001}"
)
print(
    "claim: every x86-64 CPU, AVX2-only ones included, runs a bf16 or fp16 Linear in a "
    f"half-precision kernel: {not any(in_loops)}"
)

# The option of the page's answer prediction that this run shows (the build keys it on this line).
bf16_64 = avx2["kernels"]["bf16, batch 64"]
if any(n.startswith("oneDNN") for n in bf16_64):
    answer = "oneDNN's bf16 matrix multiply"
elif bf16_64:
    answer = "MKL, after converting to fp32"
else:
    answer = "PyTorch's own loops, which convert each value to fp32"
print(f"answer: {answer}")
