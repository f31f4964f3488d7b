"""A real change still fails, and a change below what a snippet prints does not: two changes of
torch planted (a `sitecustomize` on PYTHONPATH) under `python snippets/qat-recovery/qat.py`,
whose recording test_any_machine.py shows to hold on any x86-64 CPU with AVX2.

Nothing is compared with a tolerance: a figure is printed to the precision its recording
keeps, so a change that moves no printed figure passes, and one that moves any fails."""

import subprocess
import sys

import pytest
from outcome_memo import snippet_sources
from snippet_outputs import ROOT, SNIPPET_ENV, Snippet, SnippetRaised, drift, mask_measured

QAT = Snippet(ROOT.joinpath("snippets/qat-recovery/qat.py").relative_to(ROOT))

# A release that changes Linear's default initialisation: every model trains from other weights.
INIT_CHANGED = """
import torch
import torch.nn.init as init
kaiming = init.kaiming_uniform_
def scaled(tensor, *args, **kwargs):
    kaiming(tensor, *args, **kwargs)
    with torch.no_grad():
        return tensor.mul_(0.9)
init.kaiming_uniform_ = scaled
"""
# A release whose kernels round differently: Linear's outputs move by about one part in a
# million at evaluation (as another summation order would), and no prediction changes.
LAST_BITS_CHANGED = """
import torch.nn as nn
forward = nn.Linear.forward
def rounded_otherwise(self, x):
    y = forward(self, x)
    return y if self.training else y * (1 + 2**-20)
nn.Linear.forward = rounded_otherwise
"""


def run_with(planted: str, tmp_path, outcome_memo) -> str:
    (tmp_path / "sitecustomize.py").write_text(planted, encoding="utf-8")

    def execute() -> dict:
        try:
            return {"output": mask_measured(QAT.run_standalone(PYTHONPATH=str(tmp_path)))}
        except SnippetRaised as error:
            return {"error": str(error)}

    # Kept under the planted code, not the folder it was written to (a new one each run).
    what = {
        "python": str(QAT.path),
        "reads": snippet_sources(ROOT, str(QAT.path)),
        "planted": planted,
    }
    outcome = outcome_memo.outcome(what, SNIPPET_ENV, execute)
    assert "output" in outcome, outcome.get("error")
    return outcome["output"]


def recorded() -> str:
    return QAT.recorded.read_text(encoding="utf-8")


def test_a_changed_initialisation_fails_naming_the_snippet_and_the_figure(tmp_path, outcome_memo):
    message = drift(QAT, recorded(), run_with(INIT_CHANGED, tmp_path, outcome_memo), None)
    assert message is not None, "a changed initialisation moved no figure"
    assert str(QAT.path) in message
    changed = [line for line in message.splitlines() if line.startswith(("-  ", "+  "))]
    assert any("±" in line for line in changed), f"no accuracy named among\n{message}"


def test_a_change_below_the_printed_precision_passes(tmp_path, outcome_memo):
    (tmp_path / "sitecustomize.py").write_text(LAST_BITS_CHANGED, encoding="utf-8")
    in_force = subprocess.run(
        [sys.executable, "-c", "import torch; print(torch.nn.Linear.forward.__name__)"],
        env={**SNIPPET_ENV, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert in_force.stdout.strip() == "rounded_otherwise", "the planted change is not in force"
    if drift(QAT, recorded(), run_with(LAST_BITS_CHANGED, tmp_path, outcome_memo), None):
        pytest.fail("a change of one part in a million at evaluation moved a printed figure")
