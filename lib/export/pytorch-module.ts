/**
 * The PyTorch module file (`model.py`) that `epsx export` writes beside the weights.
 *
 * It is a fixed template plus the exported model's architecture (lib/export/arch.ts) embedded
 * as JSON. The template holds one PyTorch class per epsx module type, each a line-for-line
 * twin of that type's forward; the network itself (which modules, their names, widths,
 * strides, dilations, BatchNorm eps) is built from the embedded description, so it follows
 * the model it was exported from. The template is a string here rather than a .py file so
 * that it ships inside the compiled package.
 */
import type { ArchNode } from './arch.js';

const TEMPLATE = String.raw`"""PyTorch twin of the epsx __KIND__ saved in model.safetensors (written by epsx export).

build() makes the same network, module for module, with the same parameter and buffer
names, so the weights load with strict=True:

    import model
    net = model.build()
    net.load_state_dict(model.load_file("model.safetensors"), strict=True)
    net.eval()          # BatchNorm uses its running statistics, as epsx does at inference

(model.load(path) does the same.) load_file is safetensors.torch.load_file when the
safetensors package is installed, else the small torch-only reader below.

Input: RGB images [N,3,H,W] with values in [0,1] (epsx applies no mean/std normalisation).
Output: __OUTPUT__
Label convention: channel 0 is the background, channel c is class c (CLASSES[c-1]).
"""
import json
import os
import struct
import sys
from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

ARCH = json.loads(r'''__ARCH__''')
CONFIG = json.loads(r'''__CONFIG__''')
CLASSES = json.loads(r'''__CLASSES__''')

_DTYPES = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
           "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
           "U8": torch.uint8, "BOOL": torch.bool}


def read_safetensors(path):
    """(tensors, metadata) of a safetensors file, with torch alone."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    metadata = header.pop("__metadata__", {})
    base = 8 + n
    tensors = OrderedDict()
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        dtype = _DTYPES[entry["dtype"]]
        if end > begin:
            t = torch.frombuffer(bytearray(raw[base + begin:base + end]), dtype=dtype)
        else:
            t = torch.empty(0, dtype=dtype)
        if sys.byteorder != "little" and t.element_size() > 1:
            t = t.byteswap() if hasattr(t, "byteswap") else torch.from_numpy(t.numpy().byteswap())
        tensors[name] = t.reshape(entry["shape"])
    return tensors, metadata


try:
    from safetensors.torch import load_file
except ImportError:
    def load_file(path, device="cpu"):
        """Same contract as safetensors.torch.load_file: name -> tensor."""
        return OrderedDict((k, v.to(device)) for k, v in read_safetensors(path)[0].items())


class BatchNorm2d(nn.BatchNorm2d):
    """nn.BatchNorm2d without the num_batches_tracked counter, which epsx does not keep
    (with a fixed momentum PyTorch never reads it)."""

    def __init__(self, channels, eps, momentum, affine):
        super().__init__(channels, eps=eps, momentum=momentum, affine=affine)
        self.num_batches_tracked = None

    def _load_from_state_dict(self, *args, **kwargs):
        # Skip _NormBase's shim, which inserts a num_batches_tracked entry into dicts that lack
        # version information (as any dict read from a file does): strict loading would then
        # report it as unexpected.
        nn.Module._load_from_state_dict(self, *args, **kwargs)


class _Composite(nn.Module):
    def __init__(self, children):
        super().__init__()
        for name, child in children:
            self.add_module(name, child)


class BasicBlock(_Composite):
    """relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)); shortcut is the identity when absent."""

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(h))
        shortcut = self._modules.get("shortcut")
        return F.relu(y + (shortcut(x) if shortcut is not None else x))


class Backbone(_Composite):
    """The stem, then each stage, in order."""

    def forward(self, x):
        for child in self.children():
            x = child(x)
        return x


class ContextHead(_Composite):
    """Sum of the parallel dilated branches."""

    def forward(self, x):
        branches = [child(x) for child in self.children()]
        out = branches[0]
        for b in branches[1:]:
            out = out + b
        return out


class Classifier(_Composite):
    """Returns (maps, scores): localization logits Z [N,C+1,h,w] and s_c = mean_hw Z_c, c >= 1."""

    def forward(self, x):
        maps = self.head(self.backbone(x))
        return maps, maps[:, 1:].mean(dim=(2, 3))


class Segmenter(_Composite):
    """Class logits [N,C+1,H,W]: head(backbone(x)) upsampled bilinearly to the input size."""

    def forward(self, x):
        logits = self.head(self.backbone(x))
        return F.interpolate(logits, size=x.shape[-2:], mode="bilinear", align_corners=False)


_COMPOSITES = {"Sequential": lambda children: nn.Sequential(OrderedDict(children)),
               "BasicBlock": BasicBlock, "Backbone": Backbone, "ContextHead": ContextHead,
               "Classifier": Classifier, "Segmenter": Segmenter}


def build(node=None):
    """The network described by node (default: the exported model), freshly initialised."""
    node = ARCH if node is None else node
    kind = node["type"]
    if kind == "Conv2d":
        return nn.Conv2d(node["inChannels"], node["outChannels"], node["kernelSize"], stride=node["stride"],
                         padding=node["padding"], dilation=node["dilation"], bias=node["bias"])
    if kind == "BatchNorm2d":
        return BatchNorm2d(node["channels"], node["eps"], node["momentum"], node["affine"])
    if kind == "ReLU":
        return nn.ReLU()
    return _COMPOSITES[kind]([(name, build(child)) for name, child in node["children"]])


def load(path=os.path.join(os.path.dirname(os.path.abspath(__file__)), "model.safetensors")):
    """build() with the exported weights loaded (strict), in eval mode."""
    net = build()
    net.load_state_dict(load_file(path), strict=True)
    return net.eval()


if __name__ == "__main__":
    net = load(*sys.argv[1:2])
    print(net)
    print(sum(p.numel() for p in net.parameters()), "parameters")
`;

/** What the model returns, for the docstring. */
const OUTPUTS: Record<string, string> = {
  classifier: '(maps, scores): localization logits Z [N,C+1,H/os,W/os] and class scores [N,C].',
  segmenter: 'class logits [N,C+1,H,W] at the input size.',
};

/** JSON that can sit inside a Python r'''...''' string: it never contains three quotes in a row. */
function embed(value: unknown): string {
  return JSON.stringify(value).replace(/'/g, '\\u0027');
}

/** The model.py text for an exported model of `kind` with architecture `arch`. */
export function pytorchModuleSource(kind: string, arch: ArchNode, config: unknown, classes: readonly string[]): string {
  const fill: Record<string, string> = {
    __KIND__: kind,
    __OUTPUT__: OUTPUTS[kind] ?? 'see the root module forward.',
    __ARCH__: embed(arch),
    __CONFIG__: embed(config),
    __CLASSES__: embed(classes),
  };
  return TEMPLATE.replace(/__(KIND|OUTPUT|ARCH|CONFIG|CLASSES)__/g, (key) => fill[key]!);
}
