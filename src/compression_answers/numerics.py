"""What shapes a snippet's numbers besides its code and the installed libraries: the CPU, the
cores it may use, and the environment variables that torch's numeric libraries read.

ATen, oneDNN, MKL and fbgemm each pick their instruction paths by the CPU (or by a cap in these
variables), and OpenMP its thread count, so an output kept from one machine or setting is not
an answer for another. The build's cache and the tests' kept outcomes both key on this."""

from __future__ import annotations

import os
import platform
from collections.abc import Mapping
from pathlib import Path

# Prefixes of the variables that change what torch, its libraries, OpenMP or Python compute or
# print; the rest (paths, pytest's own) do not.
SHAPING_VARIABLES = (
    "OMP_",
    "KMP_",
    "MKL_",
    "ONEDNN_",
    "DNNL_",
    "FBGEMM_",
    "TORCH",
    "PYTORCH_",
    "ATEN_",
    "CUDA_",
    "PYTHON",
    "LANG",
    "LC_",
    "TZ",
    "COLUMNS",
)

# A CPU with AVX2 only, imitated: all four libraries that pick their instruction paths by the
# CPU capped at once (capping one alone misses the others).
AVX2_ONLY = {
    "ATEN_CPU_CAPABILITY": "avx2",
    "ONEDNN_MAX_CPU_ISA": "AVX2",
    "MKL_ENABLE_INSTRUCTIONS": "AVX2",
    "FBGEMM_ENABLE_INSTRUCTIONS": "AVX2",
}


def cpu() -> str:
    """The first processor's model and flags: the libraries pick their kernels by them."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return platform.processor()
    first = text.split("\n\n")[0].splitlines()
    return "\n".join(line for line in first if line.startswith(("model name", "flags")))


def cores() -> list[int]:
    """The machine's cores and those this process may use: torch's default thread count."""
    return [os.cpu_count() or 1, len(os.sched_getaffinity(0))]


def shaping_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The variables of `environ` that can change a run's numbers, sorted by name."""
    return {
        name: value for name, value in sorted(environ.items()) if name.startswith(SHAPING_VARIABLES)
    }
