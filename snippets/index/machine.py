"""The machine this build ran on: what a timing, or a result that depends on the CPU, was measured on.

Each fact is printed after ": ~", the mark of a value measured on this machine: the tests check
that it was printed, not what it was."""

import os
import platform
import re
from pathlib import Path

import torch

cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
model = re.search(r"model name\s*: (.*)", cpuinfo)
flags = set(re.search(r"flags\s*: (.*)", cpuinfo)[1].split()) if "flags" in cpuinfo else set()
print(f"cpu: ~{model[1] if model else platform.processor() or platform.machine()}")
print(f"cores: ~{os.cpu_count()}")
print(f"torch CPU capability: ~{torch.backends.cpu.get_cpu_capability()}")
print(
    f"AVX512-VNNI: ~{'yes' if 'avx512_vnni' in flags else 'no'}; AMX: ~{'yes' if 'amx_tile' in flags else 'no'}"
)
print(f"quantized engine: ~{torch.backends.quantized.engine}")
print(f"torch threads when run on its own: ~{torch.get_num_threads()}")
