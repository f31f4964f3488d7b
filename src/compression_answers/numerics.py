"""What shapes a snippet's numbers besides its code and the installed libraries: the CPU, the
cores it may use, and the environment (every variable but those known not to matter).

ATen, oneDNN, MKL and fbgemm each pick their instruction paths by the CPU (or by a cap in these
variables), and OpenMP its thread count, so an output kept from one machine or setting is not
an answer for another. The build's cache and the tests' kept outcomes both key on this."""

from __future__ import annotations

import os
import platform
from collections.abc import Mapping
from pathlib import Path

# The variables known not to change what a snippet computes or prints: where the session is
# (paths, the terminal, the user), what runs the build or the tests (pytest, CI, pip, this
# project's settings, which are keyed on their own) and where the site is published. Every other
# variable is part of the key: one nobody listed (a library's `*_NUM_THREADS`, `MATPLOTLIBRC`,
# `NPY_*`) changes the key, and the run is done again rather than trusted.
NOT_SHAPING = {
    "PATH", "PWD", "OLDPWD", "SHLVL", "_", "HOME", "TMPDIR", "USER", "LOGNAME", "HOSTNAME",
    "MAIL", "SHELL", "TERM", "TERM_PROGRAM", "TERM_PROGRAM_VERSION", "COLORTERM", "DISPLAY",
    "EDITOR", "VISUAL", "PAGER", "LESS", "LS_COLORS", "PS1", "CI", "VIRTUAL_ENV", "SITE_URL",
    "REPO_URL", "EDIT_URI", "NO_MKDOCS_2_WARNING", "SNIPPET_CACHE", "SNIPPET_TIMEOUT",
    "SNIPPET_JOBS", "SNIPPET_EXECUTE", "JAVA_HOME", "MAKEFLAGS", "MFLAGS", "DEBIAN_FRONTEND", "HOSTTYPE",
}  # fmt: skip
NOT_SHAPING_PREFIXES = (
    "PYTEST_", "SSH_", "XDG_", "GITHUB_", "RUNNER_", "ACTIONS_", "PIP_", "PLAYWRIGHT_", "npm_",
    "COMPRESSION_ANSWERS_", "GIT_", "DBUS_", "VSCODE_", "LC_TERMINAL",
)  # fmt: skip

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
    """The variables of `environ` that may change what a run prints (all but those known not
    to), sorted by name."""
    return {
        name: value
        for name, value in sorted(environ.items())
        if name not in NOT_SHAPING and not name.startswith(NOT_SHAPING_PREFIXES)
    }
