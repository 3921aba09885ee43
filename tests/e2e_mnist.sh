#!/usr/bin/env bash
# Slow end-to-end test on real MNIST (make test-full): a 784-256-10 net for 2
# epochs reaches >= 96% validation accuracy.
set -u
cd "$(dirname "$0")/.."
out=$(./sweep configs/seed.yaml train.epochs=2 2>&1); status=$?
echo "$out"
pass=0; fail=0
if [ $status -ne 0 ]; then echo "FAIL seed.yaml for 2 epochs: exit $status"; fail=1
else
    val=$(awk '$1 == 2 { sub("%", "", $6); print $6 }' <<<"$out")
    if awk -v v="${val:-0}" 'BEGIN { exit !(v >= 96) }'; then
        echo "ok   784-256-10, 2 epochs: validation accuracy $val% >= 96%"; pass=1
    else echo "FAIL 784-256-10, 2 epochs: validation accuracy ${val:-none}% < 96%"; fail=1; fi
fi
echo "e2e-mnist: $pass passed, $fail failed"
[ $fail -eq 0 ]
