"""Calibrating in train() mode against eval() mode. A model exported in train mode keeps that mode
in its PT2E graph, through calibration and conversion and at inference, until
move_exported_model_to_eval: the calibration is compared after that move, the graph's mode before."""

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

import torch
from torch import nn
from torchao.quantization.pt2e import move_exported_model_to_eval

# The trained models and helpers of models.py (run from the repository root); its lines are not reprinted.
with contextlib.redirect_stdout(io.StringIO()):
    shared = runpy.run_path("snippets/calibration/models.py")
int8, logits, accuracy, sqnr_db = (
    shared[name] for name in ("int8", "logits", "accuracy", "sqnr_db")
)


def ops(graph, name):
    return [node for node in graph.graph.nodes if name in str(node.target)]


rows, same_int8_weights, changed, fp32_train = {}, [], [], []
for seed, model, reference in zip(
    shared["SEEDS"], shared["models"], shared["fp32_logits"], strict=True
):
    digits = shared["calibration_sets"](seed)["digits"]  # 512 training digits, the default
    in_eval = int8(shared["exported"](model, "eval"), digits)
    train_graph = shared["exported"](model, "train")  # as if model.eval() was forgotten
    in_train = int8(train_graph, digits)
    torch.manual_seed(seed)  # the dropout left in the graph draws its masks from this generator
    outputs = {"eval() mode": logits(in_eval), "train() mode, as converted": logits(in_train)}
    torch.manual_seed(seed)  # the same dropout masks, on the fp32 graph exported in train mode
    fp32_train.append(accuracy(logits(train_graph)))
    if seed == 0:
        dropout = ops(in_train, "dropout")[0]
        print(
            f"after convert_pt2e, the train-mode graph's dropout: {dropout.target}{dropout.args[1:]}"
        )
        try:
            in_train.eval()
        except NotImplementedError as error:
            message = " ".join(str(error).split()).partition(" If ")[0]  # its first two sentences
            print(f"  converted.eval() raises {type(error).__name__}: {message}")
    move_exported_model_to_eval(in_train)  # rewrites dropout (and batch norm) to their eval form
    outputs["train() mode, then moved"] = logits(in_train)
    changed.append(
        int(
            (
                outputs["train() mode, then moved"].argmax(1) != outputs["eval() mode"].argmax(1)
            ).sum()
        )
    )
    for label, output in outputs.items():
        accuracies, sqnrs = rows.setdefault(label, ([], []))
        accuracies.append(accuracy(output))
        sqnrs.append(sqnr_db(reference, output))
    # Had calibration moved the BatchNorm's statistics, the int8 weights folded from them would differ.
    weights = [
        [t for t in m.state_dict().values() if t.dtype == torch.int8] for m in (in_eval, in_train)
    ]
    same_int8_weights.append(
        bool(weights[0])
        and not ops(in_train, "batch_norm")
        and all(torch.equal(a, b) for a, b in zip(*weights, strict=True))
    )

REFERENCE = rows["eval() mode"][0]
print("calibration on 512 training digits; test accuracy over 5 seeds, paired with eval() mode:")
shared["table"](rows, REFERENCE)
print(
    "check: in the train-mode export too, prepare_pt2e folds the BatchNorm before calibration, "
    f"and the int8 weights are the eval-mode ones: {all(same_int8_weights)}"
)
print(
    "test predictions of the moved train-mode calibration that differ from eval mode's, per seed:",
    *changed,
)
moved, converted = rows["train() mode, then moved"][0], rows["train() mode, as converted"][0]
print(
    "claim: calibrating in train() mode, then moving the graph to eval, gives int8 accuracy within "
    f"1 point of eval-mode calibration, the interval inside ±1: {shared['within_a_point'](moved, REFERENCE)}"
)
_, _, high = shared["paired"](converted, REFERENCE)
print(
    "caveat: a graph exported in train() mode keeps its dropout at inference: left so, the int8 "
    f"model loses more than 1 point against eval mode, the interval below -1: {high < -1}"
)
# The control: the same loss without any quantization, so it comes from the graph's mode.
middle, low, high = shared["paired"](fp32_train, shared["test_accuracy"])
print(
    f"fp32, not quantized, exported in train() mode, minus fp32 eval: {middle:+.2f} [{low:+.2f}, {high:+.2f}]"
)
print(
    "check: the fp32 graph exported in train() mode, not quantized, loses accuracy too, the "
    f"interval below 0: {high < 0}"
)

# A BatchNorm that prepare_pt2e cannot fold (here after a ReLU, not after a Linear) keeps its
# train mode: calibration then updates its running statistics. Untrained: only the mechanism.
torch.manual_seed(0)
unfolded = nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.ReLU(), nn.BatchNorm1d(16)).train()
graph = shared["prepared"](
    torch.export.export(
        unfolded, (shared["X_train"][:32],), dynamic_shapes=({0: torch.export.Dim("b")},)
    ).module()
)
before = graph.state_dict()["3.running_mean"].clone()
with torch.no_grad():
    graph(shared["X_train"][:32])
print(
    "check: a BatchNorm after a ReLU is not folded, and train-mode calibration moves its running "
    f"mean: {bool(ops(graph, 'batch_norm')) and not torch.equal(before, graph.state_dict()['3.running_mean'])}"
)

# The option of the page's answer prediction that this run shows (the build keys it on this line).
answer = (
    "None of them"
    if shared["within_a_point"](moved, REFERENCE)
    else "Calibrating in train() mode, then moving the graph to eval()"
)
print(f"answer: {answer}")
