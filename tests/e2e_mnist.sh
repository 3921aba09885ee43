#!/usr/bin/env bash
# Slow end-to-end test on real MNIST (make test-full): the seed's 784-256-10
# network for 2 epochs reaches >= 96% validation accuracy.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
WORK=build/e2e-mnist
rm -rf "$WORK"; mkdir -p "$WORK"
if run "seed.yaml for 2 epochs" 0 ./sweep configs/seed.yaml train.epochs=2 --db $WORK/seed.db -v; then
    echo "$out"
    ge "784-256-10, 2 epochs: validation accuracy" \
        "$(sqlite3 $WORK/seed.db 'SELECT val_acc FROM epochs WHERE epoch = 2')" 0.96
fi
finish e2e-mnist
