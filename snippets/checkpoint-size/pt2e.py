"""A PT2E static int8 model's saved bytes: the converted module keeps its fp32 weights beside the
int8 ones, re-exporting keeps them too, and dropping the parameters its graph never reads frees them."""

import io
import zipfile
import zlib

import torch
from torch import nn
from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e
from torchao.quantization.pt2e.quantizer.x86_inductor_quantizer import (
    X86InductorQuantizer,
    get_default_x86_inductor_quantization_config,
)

# The MLP of sizes.py: 4.2 M weights, so torch.save's own bytes are a negligible share.
# One thread: float sums then run in one order, so the results do not depend on the core count.
torch.set_num_threads(1)
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(1024, 2048), nn.ReLU(), nn.Linear(2048, 1024)).eval()
x = torch.randn(64, 1024)  # generated calibration data: nothing is downloaded

exported = torch.export.export(model, (x,))
quantizer = X86InductorQuantizer()
quantizer.set_global(get_default_x86_inductor_quantization_config())  # static int8, per channel
prepared = prepare_pt2e(exported.module(), quantizer)
with torch.no_grad():
    prepared(x)  # observers record the activations' ranges
converted = convert_pt2e(prepared)


def saved(obj):
    buffer = io.BytesIO()  # in memory: nothing is written to disk
    if isinstance(obj, torch.export.ExportedProgram):
        torch.export.save(obj, buffer)
    else:
        torch.save(obj, buffer)
    return buffer.getvalue()


fp32 = len(saved(model.state_dict()))
state = converted.state_dict()
read = {node.target for node in converted.graph.nodes if node.op == "get_attr"}
print("converted state_dict (dtype, shape; * = read by the graph):")
for name, tensor in state.items():
    if tensor.dim() == 2:
        print(
            f"  {name:<16}{str(tensor.dtype):<15}{list(tensor.shape)}{' *' if name in read else ''}"
        )
print(f"  and {sum(t.dim() < 2 for t in state.values())} 1-D tensors: biases, scales, zero points")

# PT2E's tutorial exports the converted model again "to remove unused weights", takes its
# .module() and measures that module's state_dict with torch.save.
reexported = torch.export.export(converted, (x,))
tutorial = reexported.module().state_dict()
unread = [n.name for n in reexported.graph.nodes if n.op == "placeholder" and not n.users]
print("re-exported: inputs the graph never reads:", unread)

# Dropping what the graph never reads: the fp32 weights. Biases, scales and int8 weights stay.
with torch.no_grad():
    before = converted(x)
for name, _ in list(converted.named_parameters()):
    if name not in read:
        owner, _, attribute = name.rpartition(".")
        delattr(converted.get_submodule(owner), attribute)
trimmed = torch.export.export(converted, (x,))
reloaded = torch.export.load(io.BytesIO(saved(trimmed))).module()
with torch.no_grad():
    same = torch.equal(reloaded(x), before)

# In MB: an exported program's file also records Python object ids of the graphs it came from,
# which differ from run to run by a few bytes. zlib as a ratio to 2 decimals: its exact output
# depends on the zlib build (zlib, zlib-ng), not on the CPU.
print()
print(f"{'checkpoint (predicted: 8/32 of fp32)':<40}{'saved MB':>9}{'ratio':>7}{'zlib ratio':>12}")
ratios = {}
for name, obj in [
    ("fp32 state_dict", model.state_dict()),
    ("converted state_dict", state),
    ("re-exported, .module().state_dict()", tutorial),
    ("re-exported, torch.export.save", reexported),
    ("unread weights dropped, state_dict", converted.state_dict()),
    ("unread weights dropped, export.save", trimmed),
]:
    data = saved(obj)
    zipped = len(zlib.compress(data))
    ratios[name] = len(data) / fp32
    print(f"{name:<40}{len(data) / 1e6:>9.2f}{len(data) / fp32:>7.3f}{zipped / fp32:>12.2f}")

# What the trimmed exported program's file holds besides its tensors.
parts = {"weights and constants": 0, "sample inputs": 0, "graph (JSON)": 0, "other": 0}
with zipfile.ZipFile(io.BytesIO(saved(trimmed))) as archive:
    for member in archive.infolist():
        if "/data/weights/" in member.filename or "/data/constants/" in member.filename:
            part = "weights and constants"
        elif "/sample_inputs/" in member.filename:
            part = "sample inputs"
        elif "/models/" in member.filename:
            part = "graph (JSON)"
        else:
            part = "other"
        parts[part] += member.file_size
print("unread weights dropped, export.save, its members in MB (uncompressed):")
print("  " + ", ".join(f"{part} {size / 1e6:.2f}" for part, size in parts.items()))
extra = ratios["unread weights dropped, export.save"] - ratios["unread weights dropped, state_dict"]
extra *= fp32


def near_quarter(name):
    return abs(ratios[name] / (8 / 32) - 1) <= 0.05


print()
print(
    f"claim: the PT2E int8 model's state_dict saves in 8/32 of the fp32 bytes, within 5%: "
    f"{near_quarter('converted state_dict')}"
)
print(
    f"check: the converted state_dict is larger than the fp32 one: {ratios['converted state_dict'] > 1}"
)
kept = (
    len(unread) == 2
    and ratios["re-exported, .module().state_dict()"] > 1
    and ratios["re-exported, torch.export.save"] > 1
)
print(
    f"check: re-exporting keeps the unread fp32 weights, in its .module() and its saved file: {kept}"
)
print(
    "check: with the unread weights dropped, the state_dict saves in 8/32 of the fp32 bytes, "
    f"within 5%: {near_quarter('unread weights dropped, state_dict')}"
)
print(
    f"check: the trimmed exported program, saved and loaded back, gives the converted model's outputs: {same}"
)
print(
    "check: most of the exported file's bytes beyond the trimmed state_dict are its sample inputs: "
    f"{parts['sample inputs'] > extra / 2}"
)
