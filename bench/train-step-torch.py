"""PyTorch CPU peer of bench/train-step.ts: the same networks, losses and SGD step.

Reads one JSON object from argv[1] (widths, models, batch, size, classes, threads, steps,
outputStride) and prints one JSON line per (model, width) with the median wall and CPU milliseconds of a
training step and of an eval-mode inference pass.
"""
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, cin, cout, stride, dilation):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, dilation, dilation, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, dilation, dilation, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        project = stride != 1 or cin != cout
        self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)) if project else None

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(h))
        return F.relu(y + (self.shortcut(x) if self.shortcut is not None else x))


class Backbone(nn.Module):
    """models/backbone.ts: stem (stride 2) and three basic blocks; past the output stride, dilate."""

    def __init__(self, w, output_stride):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, w, 3, 2, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU())
        stride, dilation, cin, layers = 2, 1, w, []
        for cout, s in [(w, 1), (2 * w, 2), (4 * w, 2)]:
            dilate = stride * s > output_stride
            if dilate:
                dilation *= s
            else:
                stride *= s
            layers.append(Block(cin, cout, 1 if dilate else s, dilation))
            cin = cout
        self.layers = nn.Sequential(*layers)
        self.out_channels = cin

    def forward(self, x):
        return self.layers(self.stem(x))


class Classifier(nn.Module):
    def __init__(self, w, classes, output_stride):
        super().__init__()
        self.backbone = Backbone(w, output_stride)
        self.head = nn.Conv2d(self.backbone.out_channels, classes + 1, 1, bias=False)

    def forward(self, x):
        return self.head(self.backbone(x))


class Segmenter(nn.Module):
    def __init__(self, w, classes, output_stride, rates=(1, 2, 4, 6)):
        super().__init__()
        self.backbone = Backbone(w, output_stride)
        self.branches = nn.ModuleList(nn.Conv2d(self.backbone.out_channels, classes + 1, 3, 1, r, r, bias=True) for r in rates)

    def forward(self, x):
        f = self.backbone(x)
        z = sum(b(f) for b in self.branches)
        return F.interpolate(z, size=x.shape[2:], mode="bilinear", align_corners=False)


def median_ms(fn, steps):
    """Median wall and process CPU milliseconds (every thread) of `steps` calls after one warm-up."""
    fn()
    wall, cpu = [], []
    for _ in range(steps):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return {"wall": statistics.median(wall), "cpu": statistics.median(cpu)}


def main():
    cfg = json.loads(sys.argv[1])
    torch.set_num_threads(cfg["threads"])
    torch.manual_seed(0)
    n, size, classes = cfg["batch"], cfg["size"], cfg["classes"]
    x = torch.randn(n, 3, size, size)
    labels = (torch.rand(n, classes) < 0.4).float()
    masks = torch.randint(0, classes + 1, (n, size, size))
    for kind in cfg["models"]:
        for w in cfg["widths"]:
            model = (Classifier if kind == "classifier" else Segmenter)(w, classes, cfg["outputStride"])
            opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)

            def loss_of(out):
                if kind == "classifier":
                    return F.binary_cross_entropy_with_logits(out[:, 1:].mean(dim=(2, 3)), labels)
                return F.cross_entropy(out, masks, ignore_index=255)

            def train_step():
                opt.zero_grad()
                loss_of(model(x)).backward()
                opt.step()

            def infer():
                with torch.no_grad():
                    model(x)

            model.train()
            train = median_ms(train_step, cfg["steps"])
            model.eval()
            inference = median_ms(infer, cfg["steps"])
            print(json.dumps({"model": kind, "width": w, "train": train, "infer": inference}), flush=True)


main()
