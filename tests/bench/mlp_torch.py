"""mlp_torch.py - the seed project's algorithm in PyTorch, for `make bench`.

784-256-10 MLP trained as sweep trains it (see mlp_common.py), written the
way a PyTorch user would: nn.Sequential, F.cross_entropy, optim.SGD with
weight decay on the weights only, one thread.
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
    x8, y = torch.from_numpy(x8.copy()), torch.from_numpy(y)
    tr, va = torch.from_numpy(tr), torch.from_numpy(va)
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(),
                                torch.nn.Linear(256, 10))
    for m in model:
        if isinstance(m, torch.nn.Linear):
            torch.nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            torch.nn.init.zeros_(m.bias)
    weights = [p for n, p in model.named_parameters() if n.endswith("weight")]
    biases = [p for n, p in model.named_parameters() if n.endswith("bias")]
    opt = torch.optim.SGD([{"params": weights, "weight_decay": a.l2},
                           {"params": biases, "weight_decay": 0.0}],
                          lr=a.lr, momentum=a.momentum)
    times = []
    val_acc = 0.0
    for epoch in range(a.epochs):
        t0 = time.perf_counter()
        model.train()
        order = tr[torch.randperm(len(tr))]
        for i in range(0, len(order), a.batch):
            idx = order[i:i + a.batch]
            xb = x8[idx].float().div_(255)
            loss = F.cross_entropy(model(xb), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        model.eval()
        hits = 0
        with torch.no_grad():
            for i in range(0, len(va), 256):
                idx = va[i:i + 256]
                z = model(x8[idx].float().div_(255))
                hits += int((z.argmax(dim=1) == y[idx]).sum())
        val_acc = hits / len(va)
        times.append(time.perf_counter() - t0)
    mc.report("torch", a.batch, times, val_acc)


if __name__ == "__main__":
    main()
