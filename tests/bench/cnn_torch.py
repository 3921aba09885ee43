"""cnn_torch.py - the CNN of configs/cnn.yaml in PyTorch, for `make bench`.

conv 32 5x5 same - ReLU - maxpool 2 - conv 64 5x5 same - batch norm - ReLU -
maxpool 2 - dense 512 - ReLU - dropout 0.5 - dense 10, Adam (lr 1e-3), batch
64, MNIST's 50,000 training and 10,000 validation images (seeded split),
uint8 images turned into float32 / 255 per batch, one thread: the training
sweep does for that config, written the way a PyTorch user would.
"""
import time

import numpy as np
import torch
import torch.nn.functional as F

import mlp_common as mc


def main():
    a = mc.args(__doc__)
    torch.set_num_threads(1)
    torch.manual_seed(1)
    x8, y = mc.load(np, a.data)
    tr, va = mc.split(np, len(y))
    x8 = torch.from_numpy(x8.copy()).reshape(-1, 1, 28, 28)
    y = torch.from_numpy(y)
    tr, va = torch.from_numpy(tr), torch.from_numpy(va)
    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 512), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(512, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    times = []
    val_acc = 0.0
    for epoch in range(a.epochs):
        t0 = time.perf_counter()
        model.train()
        order = tr[torch.randperm(len(tr))]
        for i in range(0, len(order), a.batch):
            idx = order[i:i + a.batch]
            loss = F.cross_entropy(model(x8[idx].float().div_(255)), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        model.eval()
        hits = 0
        with torch.no_grad():
            for i in range(0, len(va), 256):
                idx = va[i:i + 256]
                hits += int((model(x8[idx].float().div_(255)).argmax(dim=1) == y[idx]).sum())
        val_acc = hits / len(va)
        times.append(time.perf_counter() - t0)
    mc.report("torch-cnn", a.batch, times, val_acc)


if __name__ == "__main__":
    main()
