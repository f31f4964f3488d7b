"""A 2048-wide fp32 Linear and its int8 and int4 weight-only versions (torchao), each compiled by
Inductor with freezing, with fp32 inputs, at batch 1 and 256: which weight the compiled code
holds, which matrix multiply it calls, and how far its outputs move from the fp32 Linear's."""

import copy
import re
from unittest import mock

import torch
import torch._inductor.config as inductor_config
from torch import nn
from torch._inductor.graph import GraphLowering
from torchao.prototype.quantization.int4 import PrototypeInt4WeightOnlyConfig
from torchao.quantization import Int8WeightOnlyConfig, IntxWeightOnlyConfig, PerGroup, quantize_

# One thread: float sums then run in one order, so the outputs do not depend on the core count.
torch.set_num_threads(1)
torch.manual_seed(0)
WIDTH = 2048
# Freezing folds the weights into the compiled graph as constants; Inductor's CPU passes for
# quantized weights run only with it. It is off by default.
inductor_config.freezing = True
# Inductor otherwise compiles and loads a test program for each vector instruction set the CPU's
# flags name (about 5 s, once per machine); the flags are enough where the compiler is gcc.
inductor_config.cpp.vec_isa_ok = True
# Compiled afresh, never from Inductor's cache: a cached graph generates no code to read.
inductor_config.force_disable_caches = True


def compiled(model, x):
    """The model's first output, compiled for this input's shape, and the code Inductor generated
    for it (what torch._inductor.utils.run_and_get_code collects, without its reset of every
    compiled model)."""
    code = []
    with mock.patch.object(GraphLowering, "save_output_code", code.append):
        output = torch.compile(model, dynamic=False)(x)  # compiled on its first call
    return output, "\n".join(code)


def constants(code):
    """The constants the compiled code holds (frozen weights, packed or not): dtype and bytes."""
    found = re.findall(
        r"^\w+ = None  # device\(type='cpu'\) torch\.(\w+) \(([\d, ]*)\)", code, re.M
    )
    sizes = {}
    for dtype, shape in found:
        numel = 1
        for n in filter(None, shape.split(",")):
            numel *= int(n)
        sizes[dtype] = sizes.get(dtype, 0) + numel * getattr(torch, dtype).itemsize
    return sizes


def kernel(code):
    """The operator the compiled code calls on its input: the matrix multiply."""
    called = [
        op for op in re.findall(r"([\w.]+)\(arg\d+_\d+,", code) if not op.startswith("assert")
    ]
    return called[0].removeprefix("torch.ops.").removesuffix(".default")


# No bias: a bias adds a C++ kernel to each compiled graph, and compiling it costs a second each.
layer = nn.Linear(WIDTH, WIDTH, bias=False)
models = {"fp32": layer}
for name, config in {
    # Its default set_inductor_config=True sets options torchao recommends for every model
    # Inductor compiles afterwards, the fp32 one too (coordinate-descent tuning, an _int_mm fusion,
    # the cache force_disable_caches overrides): with False, the code generated here is the same.
    "int8 weight-only": Int8WeightOnlyConfig(),
    "int4 weight-only (Intx)": IntxWeightOnlyConfig(
        weight_dtype=torch.int4, granularity=PerGroup(128)
    ),
    "int4 weight-only (prototype)": PrototypeInt4WeightOnlyConfig(group_size=128),
}.items():
    models[name] = copy.deepcopy(layer)
    quantize_(models[name], config)
held = {name: [] for name in models}  # integer bytes the compiled code holds, at each batch
floats = []  # fp32 bytes the compiled int8 code holds, at each batch
calls = {name: [] for name in models}  # the matrix multiply it calls
errors = {name: [] for name in models}  # largest change of an output, over the largest fp32 output
for batch in (1, 256):
    # One batch's compiled models at a time: Dynamo keeps them all in one cache, which this clears.
    torch._dynamo.reset()
    x = torch.randn(batch, WIDTH)
    with torch.inference_mode():
        reference = layer(x)
        for name, model in models.items():
            # ATen's int4 kernel runs fp32 inputs in a loop it does not vectorize: at batch 256
            # the prototype would take seconds.
            if batch == 256 and "prototype" in name:
                continue
            output, code = compiled(model, x)
            sizes = constants(code)
            held[name].append(sizes.get("int8", 0) + sizes.get("uint8", 0))
            if name == "int8 weight-only":
                floats.append(sizes.get("float32", 0))
            calls[name].append(kernel(code))
            if name != "fp32":
                errors[name].append(
                    ((output - reference).abs().max() / reference.abs().max()).item()
                )

print("what the compiled code holds and calls at batch 1 and 256 (the prototype: at 1):")
for name in models:
    print(
        f"  {name:<29}integer constants {held[name]} bytes; "
        f"matrix multiply: ~{', ~'.join(sorted(set(calls[name])))}"
    )
folded = all(n == 0 for n in held["int8 weight-only"])
print(
    "claim: compiled with freezing in an fp32 model, the int8 weight-only Linear keeps an integer "
    f"weight: {not folded}"
)
print(
    "check: at every batch, the compiled int8 Linear's code holds an fp32 weight (4 bytes per "
    f"value): {all(n >= 4 * WIDTH**2 for n in floats)}"
)
intx = held["int4 weight-only (Intx)"] == [0, 0]
same = calls["int8 weight-only"] == calls["int4 weight-only (Intx)"] == calls["fp32"]
print(
    "check: the compiled Intx int4 Linear keeps no integer weight either, and at every batch the "
    f"compiled int8 and Intx int4 Linears call the same matrix multiply as the fp32 one: {intx and same}"
)
packed = held["int4 weight-only (prototype)"] == [WIDTH**2 // 2]
fused = set(calls["int4 weight-only (prototype)"]) == {"quantized.int4mm_packed_weight_cpu"}
print(
    "check: the compiled prototype int4 Linear keeps its packed weight (half a byte per value) and "
    f"multiplies it in int4mm_packed_weight_cpu: {packed and fused}"
)
int4 = max(errors["int4 weight-only (Intx)"] + errors["int4 weight-only (prototype)"])
print(
    "check: the compiled int8 outputs stay within 1% of the largest fp32 output, the int4 ones "
    f"within 10%: {max(errors['int8 weight-only']) < 0.01 and int4 < 0.1}"
)
if folded:
    answer = "An fp32 copy of the weight, made once when compiling"
elif any("int8pack" in call for call in calls["int8 weight-only"]):
    answer = "The int8 weight, in a fused weight-only kernel"
else:
    answer = "The int8 weight, converted to fp32 on every call"
print(f"answer: {answer}")
