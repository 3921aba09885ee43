"""mlp_common.py - what the NumPy and PyTorch baselines share with sweep's run.

The same problem as `make bench`: MNIST, 50,000 training and 10,000
validation images (a seeded split), 784-256-10 with ReLU, softmax and
cross-entropy, SGD with momentum 0.9, L2 1e-4 on the weights added to the
gradient, constant learning rate 0.05, a fresh shuffle each epoch, the last
batch smaller, validation evaluated after every epoch. Images are kept as
uint8 and turned into float32 / 255 per batch, as sweep does.

Run with OPENBLAS_NUM_THREADS=1 set before Python starts (tests/bench/run.sh
does): Debian's numpy and torch do their products in OpenBLAS.
"""
import argparse
import os
import statistics
import struct


def read_idx(path):
    with open(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    assert zero == 0 and dtype == 8, f"{path}: not an IDX file of unsigned bytes"
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return dims, data[4 + 4 * ndim:]


def load(np, data_dir):
    """Training images (60000, 784) uint8 and labels (60000,) int64."""
    dims, raw = read_idx(os.path.join(data_dir, "train-images-idx3-ubyte"))
    x = np.frombuffer(raw, dtype=np.uint8).reshape(dims[0], -1)
    _, raw = read_idx(os.path.join(data_dir, "train-labels-idx1-ubyte"))
    y = np.frombuffer(raw, dtype=np.uint8).astype(np.int64)
    return x, y


def args(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--data", default="data/mnist")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--l2", type=float, default=1e-4)
    p.add_argument("--momentum", type=float, default=0.9)
    return p.parse_args()


def split(np, n, n_val=10000, seed=1):
    perm = np.random.default_rng(seed).permutation(n)
    return np.sort(perm[n_val:]), np.sort(perm[:n_val])


def report(name, batch, seconds, val_acc):
    """One line per run: the median epoch time is what run.sh compares."""
    med = statistics.median(seconds)
    print(f"{name} batch {batch}: median {med:.3f} s/epoch over {len(seconds)} epochs "
          f"(each: {' '.join(f'{s:.3f}' for s in seconds)}), last val acc {100 * val_acc:.2f}%")
