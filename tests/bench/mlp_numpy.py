"""mlp_numpy.py - the seed project's algorithm in plain NumPy, for `make bench`.

784-256-10 MLP trained as sweep trains it (see mlp_common.py): the script a
NumPy user would write, vectorised, float32 throughout.
"""
import time

import numpy as np

import mlp_common as mc


def main():
    a = mc.args(__doc__)
    x8, y = mc.load(np, a.data)
    tr, va = mc.split(np, len(y))
    rng = np.random.default_rng(1)
    w1 = (rng.standard_normal((784, 256)) * np.sqrt(2 / 784)).astype(np.float32)
    b1 = np.zeros(256, np.float32)
    w2 = (rng.standard_normal((256, 10)) * np.sqrt(2 / 256)).astype(np.float32)
    b2 = np.zeros(10, np.float32)
    params = [w1, b1, w2, b2]
    vel = [np.zeros_like(p) for p in params]
    decay = [True, False, True, False]
    lr, mu, l2 = np.float32(a.lr), np.float32(a.momentum), np.float32(a.l2)
    scale = np.float32(1 / 255)

    def forward(xb):
        h = xb @ w1
        h += b1
        np.maximum(h, 0, out=h)
        z = h @ w2
        z += b2
        return h, z

    times = []
    val_acc = 0.0
    for epoch in range(a.epochs):
        t0 = time.perf_counter()
        order = rng.permutation(tr)
        for i in range(0, len(order), a.batch):
            idx = order[i:i + a.batch]
            xb = x8[idx].astype(np.float32) * scale
            yb = y[idx]
            B = len(idx)
            h, z = forward(xb)
            z -= z.max(axis=1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(axis=1, keepdims=True)
            p[np.arange(B), yb] -= 1
            p /= B
            dh = p @ w2.T
            dh *= h > 0
            grads = [xb.T @ dh, dh.sum(axis=0), h.T @ p, p.sum(axis=0)]
            for w, g, v, d in zip(params, grads, vel, decay):
                if d:
                    g += l2 * w
                v *= mu
                v += g
                w -= lr * v
        hits = 0
        for i in range(0, len(va), 256):
            idx = va[i:i + 256]
            _, z = forward(x8[idx].astype(np.float32) * scale)
            hits += int((z.argmax(axis=1) == y[idx]).sum())
        val_acc = hits / len(va)
        times.append(time.perf_counter() - t0)
    mc.report("numpy", a.batch, times, val_acc)


if __name__ == "__main__":
    main()
