"""How many training digits calibrate PT2E static int8: 1, 8, 64 or 512, with the default
HistogramObserver and with MinMaxObserver, each paired by seed with the default 512-digit
calibration."""

import contextlib
import io
import os
import runpy

# The AVX2 kernels models.py pins, set here too so that this file run alone pins them first.
os.environ.update(
    ATEN_CPU_CAPABILITY="avx2",
    MKL_ENABLE_INSTRUCTIONS="AVX2",
    MKL_CBWR="AVX2",
    ONEDNN_MAX_CPU_ISA="AVX2",
    FBGEMM_ENABLE_INSTRUCTIONS="AVX2",
)

# The trained models and helpers of models.py (run from the repository root); its lines are not reprinted.
with contextlib.redirect_stdout(io.StringIO()):
    shared = runpy.run_path("snippets/calibration/models.py")
int8, logits, accuracy, sqnr_db = (
    shared[name] for name in ("int8", "logits", "accuracy", "sqnr_db")
)

rows = {}
for seed, model, reference in zip(
    shared["SEEDS"], shared["models"], shared["fp32_logits"], strict=True
):
    graph = shared["exported"](model)  # exported once, in eval mode; each calibration gets a copy
    digits = shared["calibration_sets"](seed)["digits"]
    for observer, config in (("Histogram", None), ("MinMax", shared["minmax_config"]())):
        for n in (1, 8, 64, 512):
            output = logits(int8(graph, digits[:n], config))
            accuracies, sqnrs = rows.setdefault(f"{observer:<10}{n:>3} digits", ([], []))
            accuracies.append(accuracy(output))
            sqnrs.append(sqnr_db(reference, output))

REFERENCE = rows["Histogram 512 digits"][0]
print("calibration on the first n of 512 training digits, in batches of 32, eval mode;")
print("test accuracy over 5 seeds, paired by seed with the default (Histogram, 512 digits):")
shared["table"](rows, REFERENCE)
print(
    "claim: two batches (64 training digits) calibrate within 1 point of 512, the interval "
    f"inside ±1: {shared['within_a_point'](rows['Histogram  64 digits'][0], REFERENCE)}"
)
print(
    "check: with either observer, every size down to 1 digit stays within 1 point of the default: "
    f"{all(shared['within_a_point'](accuracies, REFERENCE) for accuracies, _ in rows.values())}"
)
lower = [
    all(
        a < b
        for a, b in zip(rows[f"{o:<10}  1 digits"][1], rows[f"{o:<10}512 digits"][1], strict=True)
    )
    for o in ("Histogram", "MinMax")
]
print(
    "caveat: one digit leaves the int8 logits further from fp32 (a lower SQNR) than 512, "
    f"in every seed, with either observer: {all(lower)}"
)
