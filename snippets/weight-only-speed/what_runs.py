"""What torchao's weight-only configurations store for a 2048-wide Linear and what one eager call
runs (every operator, with the bytes of weight it reads and writes), the FLOPs per weight byte
at batch 1, 16 and 256, and how far each output moves from the fp32 Linear's."""

import copy

import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode
from torchao.prototype.quantization.int4 import PrototypeInt4WeightOnlyConfig
from torchao.quantization import (
    Int4WeightOnlyConfig,
    Int8WeightOnlyConfig,
    IntxWeightOnlyConfig,
    PerGroup,
    quantize_,
)
from torchao.quantization.quantize_.workflows import Int4PackingFormat

# One thread: float sums then run in one order, so the results do not depend on the core count.
torch.set_num_threads(1)
torch.manual_seed(0)
WIDTH = 2048
MiB = 2**20
layer = nn.Linear(WIDTH, WIDTH, bias=False)  # no bias, as in the compiled snippets

# The int4 configuration torchao's reference lists first, with each packing it offers, on a bf16
# Linear (its dtype): what a reader meets on this install, printed as it is.
failed = 0
for packing in Int4PackingFormat:
    try:
        config = Int4WeightOnlyConfig(group_size=128, int4_packing_format=packing)
        quantize_(copy.deepcopy(layer).to(torch.bfloat16), config)
        print(f"Int4WeightOnlyConfig, {packing.value} packing: quantized")
    except Exception as error:  # noqa: BLE001
        failed += 1
        # A packing for GPUs fails in words that depend on torch's build and on the process (no
        # CUDA compiled in, no driver, CUDA in a forked process): the reason is printed instead.
        needs_cuda = any(word in str(error) for word in ("CUDA", "NVIDIA"))
        why = "needs CUDA" if needs_cuda else f"{type(error).__name__}: {error}"
        print(f"Int4WeightOnlyConfig, {packing.value} packing: {why}")
print(
    f"check: no packing of Int4WeightOnlyConfig quantizes on this install: {failed == len(Int4PackingFormat)}"
)

configs = {
    "int8 weight-only": Int8WeightOnlyConfig(),
    "int4 weight-only (Intx)": IntxWeightOnlyConfig(
        weight_dtype=torch.int4, granularity=PerGroup(128)
    ),
    "int4 weight-only (prototype)": PrototypeInt4WeightOnlyConfig(group_size=128),
}
models = {"fp32": layer}
for name, config in configs.items():
    models[name] = copy.deepcopy(layer)
    quantize_(models[name], config)

print(f"\n  {'what each weight stores':<29}{'tensor':<25}{'values':<9}{'shape':<13}MiB with scales")
for name, model in models.items():
    weight = model.weight
    # A torchao weight is a tensor subclass: its values and scales are inner tensors.
    inner = (
        [getattr(weight, n) for n in weight.__tensor_flatten__()[0]] if name != "fp32" else [weight]
    )
    values, total = inner[0], sum(part.nbytes for part in inner)
    print(
        f"  {name:<29}{type(weight).__name__:<25}{str(values.dtype).removeprefix('torch.'):<9}"
        f"{tuple(values.shape)!s:<13}{total / MiB:>15.2f}"
    )
stored = {name: model.weight.qdata.nbytes for name, model in models.items() if name != "fp32"}


class Operators(TorchDispatchMode):
    """Records each operator one call runs, the bytes of its operands larger than an activation
    row (the weight, its copies and its scales) that it reads or writes, and whether it makes a
    new fp32 tensor of the weight's shape."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        inputs = [a for a in args if isinstance(a, torch.Tensor)]
        outputs = [out] if isinstance(out, torch.Tensor) else []
        # A view (t, reshape, alias) shares its input's storage and moves no bytes.
        storages = {i.untyped_storage().data_ptr() for i in inputs}
        view = any(o.untyped_storage().data_ptr() in storages for o in outputs)
        moved = 0 if view else sum(t.nbytes for t in inputs + outputs if t.numel() > 2 * WIDTH)
        copy_fp32 = any(o.dtype == torch.float32 and o.shape == (WIDTH, WIDTH) for o in outputs)
        self.calls.append((str(func).removesuffix(".default"), moved, copy_fp32 and not view))
        return out


print("\none eager call at batch 1: the operators that move weight bytes (MiB read and written)")
moved, copies = {}, {}
with torch.inference_mode():
    for name, model in models.items():
        with Operators() as operators:
            model(torch.randn(1, WIDTH))
        heavy = [(op, n) for op, n, _ in operators.calls if n]
        moved[name] = sum(n for _, n in heavy)
        copies[name] = sum(made for _, _, made in operators.calls)
        listed = ", ".join(f"{op} {n / MiB:.2f}" for op, n in heavy)
        print(f"  {name:<29}{moved[name] / MiB:6.2f}: {listed}")
print(
    "claim: each eager call of the int8 weight-only Linear reads and writes fewer weight bytes "
    f"than the fp32 Linear: {moved['int8 weight-only'] < moved['fp32']}"
)
print(
    "check: each eager call of the int8 and the Intx int4 Linear builds a new fp32 copy of the "
    f"whole weight: {copies['int8 weight-only'] == copies['int4 weight-only (Intx)'] == 1}"
)
print(
    "check: the prototype int4 Linear builds no fp32 copy of its weight: "
    f"{copies['int4 weight-only (prototype)'] == 0}"
)
print(
    "check: the Intx int4 weight takes as many bytes as the int8 one (one int8 per value), the "
    "prototype's half as many (two values per byte): "
    f"{stored['int4 weight-only (Intx)'] == stored['int8 weight-only'] == 2 * stored['int4 weight-only (prototype)']}"
)

print(
    "\nFLOPs per byte of weight read: 2 x batch per weight, over the bytes per weight (scales left out)"
)
per_weight = {"fp32": 4, "bf16": 2, "int8": 1, "int4 packed": 0.5}
per_weight["eager int8"] = moved["int8 weight-only"] / WIDTH**2  # bytes the eager call above moved
print(f"  {'batch':<7}" + "".join(f"{k:>13}" for k in per_weight))
for batch in (1, 16, 256):
    print(f"  {batch:<7}" + "".join(f"{2 * batch / b:>13.2f}" for b in per_weight.values()))

with torch.inference_mode():
    xs = torch.randn(256, WIDTH)
    reference = layer(xs)
    errors = {
        n: ((m(xs) - reference).abs().max() / reference.abs().max()).item()
        for n, m in models.items()
    }
int4 = max(errors["int4 weight-only (Intx)"], errors["int4 weight-only (prototype)"])
print(
    "\ncheck: int8 weight-only moves no output by more than 1% of the largest fp32 output, the "
    f"int4 paths by no more than 10%: {errors['int8 weight-only'] < 0.01 and int4 < 0.1}"
)
