"""optuna_torch.py - the search sweep's configs/tpe.yaml runs, done the way
an Optuna user would: Optuna's TPE sampler and SuccessiveHalving pruner
(reduction 3, min resource 1 epoch) driving a PyTorch 784-256-10 trainer
over the same space (lr log 1e-3..1, momentum 0..0.95, l2 log 1e-6..1e-2,
batch size 32/64/128/256, schedule constant/step/cosine; 20 epochs; cosine
and step as sweep defines them), 2 worker processes sharing a journal file,
one thread each, for a wall-clock budget.

Every finished trial appends a line to OUT.tsv: seconds since the start,
state (done or pruned), test accuracy (of the best-validation epoch, for
done trials), best validation accuracy. tests/bench/search_race.sh compares
this with `sweep configs/tpe.yaml -j 2`.

usage: OPENBLAS_NUM_THREADS=1 python3 optuna_torch.py --seed S --seconds 300 --out OUT.tsv
"""
import argparse
import math
import multiprocessing as mp
import os
import time
import warnings

import numpy as np
import optuna
import torch
import torch.nn.functional as F

import mlp_common as mc

EPOCHS = 20


def lr_at(schedule, initial, epoch):
    """sweep's schedules with their defaults: step halves every 5 epochs,
    cosine anneals to 0 over the run (epoch from 1)."""
    t = epoch - 1
    if schedule == "step":
        return initial * 0.5 ** (t // 5)
    if schedule == "cosine":
        return initial * 0.5 * (1 + math.cos(math.pi * t / EPOCHS))
    return initial


def worker(args, t0, lock, index):
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    torch.set_num_threads(1)
    x8, y = mc.load(np, args.data)
    tr, va = mc.split(np, len(y))
    dims, raw = mc.read_idx(os.path.join(args.data, "t10k-images-idx3-ubyte"))
    xt = torch.from_numpy(np.frombuffer(raw, dtype=np.uint8).reshape(dims[0], -1).copy())
    _, raw = mc.read_idx(os.path.join(args.data, "t10k-labels-idx1-ubyte"))
    yt = torch.from_numpy(np.frombuffer(raw, dtype=np.uint8).astype(np.int64))
    x8, y = torch.from_numpy(x8.copy()), torch.from_numpy(y)
    tr, va = torch.from_numpy(tr), torch.from_numpy(va)

    def accuracy(model, xs, ys):
        hits = 0
        with torch.no_grad():
            for i in range(0, len(ys), 1000):
                hits += int((model(xs[i:i + 1000].float().div_(255)).argmax(1) == ys[i:i + 1000]).sum())
        return hits / len(ys)

    def objective(trial):
        lr = trial.suggest_float("lr", 1e-3, 1.0, log=True)
        mom = trial.suggest_float("momentum", 0.0, 0.95)
        l2 = trial.suggest_float("l2", 1e-6, 1e-2, log=True)
        batch = trial.suggest_categorical("batch_size", [32, 64, 128, 256])
        sched = trial.suggest_categorical("schedule", ["constant", "step", "cosine"])
        torch.manual_seed(trial.number)
        model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
        w = [p for n, p in model.named_parameters() if n.endswith("weight")]
        b = [p for n, p in model.named_parameters() if n.endswith("bias")]
        opt = torch.optim.SGD([{"params": w, "weight_decay": l2}, {"params": b, "weight_decay": 0.0}],
                              lr=lr, momentum=mom)
        best, best_state = -1.0, None
        for epoch in range(1, EPOCHS + 1):
            for g in opt.param_groups:
                g["lr"] = lr_at(sched, lr, epoch)
            order = tr[torch.randperm(len(tr))]
            model.train()
            for i in range(0, len(order), batch):
                idx = order[i:i + batch]
                loss = F.cross_entropy(model(x8[idx].float().div_(255)), y[idx])
                if not torch.isfinite(loss):
                    raise optuna.TrialPruned()
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            model.eval()
            acc = accuracy(model, x8[va], y[va])
            if acc > best:
                best, best_state = acc, {k: v.clone() for k, v in model.state_dict().items()}
            trial.report(acc, epoch)
            if trial.should_prune():
                with lock, open(args.out, "a") as f:
                    f.write(f"{time.time() - t0:.2f}\tpruned\t\t{best:.4f}\n")
                raise optuna.TrialPruned()
        model.load_state_dict(best_state)
        test = accuracy(model, xt, yt)
        with lock, open(args.out, "a") as f:
            f.write(f"{time.time() - t0:.2f}\tdone\t{test:.4f}\t{best:.4f}\n")
        return best

    storage = optuna.storages.JournalStorage(optuna.storages.JournalFileStorage(args.journal))
    study = optuna.load_study(study_name="race", storage=storage,
                              sampler=optuna.samplers.TPESampler(seed=args.seed * 100 + index),
                              pruner=optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3))
    left = args.seconds - (time.time() - t0)
    study.optimize(objective, timeout=max(left, 1), catch=())


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data", default="data/mnist")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--seconds", type=float, default=300)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--out", default="optuna_race.tsv")
    p.add_argument("--t0", type=float, default=None,
                   help="start of the clock (seconds since the epoch; default: now, after the imports)")
    args = p.parse_args()
    args.journal = args.out + ".journal"
    for f in (args.out, args.journal):
        if os.path.exists(f):
            os.remove(f)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    t0 = args.t0 if args.t0 is not None else time.time()
    storage = optuna.storages.JournalStorage(optuna.storages.JournalFileStorage(args.journal))
    optuna.create_study(study_name="race", storage=storage, direction="maximize")
    lock = mp.Lock()
    procs = [mp.Process(target=worker, args=(args, t0, lock, i)) for i in range(args.workers)]
    for pr in procs:
        pr.start()
    # The budget ends the search: trials still training then are stopped, as
    # sweep's budget stops the runs in flight.
    for pr in procs:
        pr.join(timeout=max(0.0, t0 + args.seconds - time.time()))
    for pr in procs:
        if pr.is_alive():
            pr.terminate()
        pr.join()


if __name__ == "__main__":
    main()
