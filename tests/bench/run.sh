#!/usr/bin/env bash
# run.sh - `make bench`: speed figures, side by side in one run. A benchmark,
# not a test: nothing here passes or fails on a time.
#
#  1. bench_train: 784-256-10 on one core at batch 32, 64, 128, 256 (seconds
#     per epoch, examples/s, GFLOP/s, and sgemm GFLOP/s at the same shapes
#     measured between the epochs, with the ratio).
#  2. The same training in NumPy and PyTorch (tests/bench/mlp_*.py, Debian's
#     python3-numpy and python3-torch, one thread), batch by batch, right
#     after ours, and the ratios.
#  3. The CNN of configs/cnn.yaml on one core, ours and PyTorch's
#     (tests/bench/cnn_torch.py, the same architecture, optimizer and batch),
#     CNN_EPOCHS epochs each, medians, and the ratio.
#  4. Sweep throughput: tests/bench/sweep_bench.yaml (six 3-epoch trainings)
#     with -j 1 and -j 2, alternated ROUNDS times; medians of trials/hour,
#     the database's share of the run time, each worker's peak RSS (the
#     kernel's ru_maxrss), and the whole process tree's peak memory (sum of
#     PSS, sampled every 0.2 s): what a second worker adds.
#  5. sweep merge of 100 shard databases holding 5,000,000 epoch rows
#     (tests/bench/merge_bench.sh, shards made with sqlite3), median time.
#
# usage: tests/bench/run.sh [BUILD_DIR]
#   env: EPOCHS=3 ROUNDS=3 BATCHES="32 64 128 256" CNN_EPOCHS=2 SECTIONS="1 2 3 4 5"
set -u
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
EPOCHS=${EPOCHS:-3}
ROUNDS=${ROUNDS:-3}
BATCHES=${BATCHES:-32 64 128 256}
PY=/usr/bin/python3
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

median() { sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }

SECTIONS=${SECTIONS:-1 2 3 4 5}
CNN_EPOCHS=${CNN_EPOCHS:-2}
section() { case " $SECTIONS " in *" $1 "*) return 0 ;; esac; return 1; }

if section 1; then
echo "== 1. one core, ours =="
"$BUILD/bench_train" data/mnist "$EPOCHS" $BATCHES | tee "$tmp/ours"

fi

if section 2; then
echo
echo "== 2. the same training in NumPy and PyTorch, one thread (s/epoch, median of $EPOCHS) =="
have_py=1
for m in numpy torch; do
    if ! "$PY" -c "import $m" 2>/dev/null; then
        echo "(skipped: $PY cannot import $m; sudo apt-get install python3-numpy python3-torch libopenblas0)"
        have_py=0
    fi
done
if [ "$have_py" = 1 ]; then
    printf "%6s %10s %10s %10s %14s %14s\n" batch sweep numpy torch "numpy/sweep" "torch/sweep"
    for b in $BATCHES; do
        ours=$("$BUILD/bench_train" data/mnist "$EPOCHS" "$b" | awk -v b="$b" '$1 == b {print $2}')
        np=$("$PY" tests/bench/mlp_numpy.py --epochs "$EPOCHS" --batch "$b" | sed -n 's/.*median \([0-9.]*\) s.*/\1/p')
        th=$("$PY" tests/bench/mlp_torch.py --epochs "$EPOCHS" --batch "$b" | sed -n 's/.*median \([0-9.]*\) s.*/\1/p')
        awk -v b="$b" -v o="$ours" -v n="$np" -v t="$th" 'BEGIN {
            printf "%6d %10.3f %10.3f %10.3f %13.2fx %13.2fx\n", b, o, n, t, n / o, t / o }'
    done
fi

fi

if section 3; then
echo
echo "== 3. the CNN of configs/cnn.yaml, one core, ours and PyTorch's ($CNN_EPOCHS epochs each) =="
line=$("$BUILD/bench_train" --config configs/cnn.yaml "$CNN_EPOCHS")
echo "$line"
ours=$(sed -n 's/.*median \([0-9.]*\) s.*/\1/p' <<<"$line")
if "$PY" -c "import torch" 2>/dev/null; then
    line=$("$PY" tests/bench/cnn_torch.py --epochs "$CNN_EPOCHS" --batch 64)
    echo "$line"
    th=$(sed -n 's/.*median \([0-9.]*\) s.*/\1/p' <<<"$line")
    awk -v o="$ours" -v t="$th" 'BEGIN { printf "cnn: sweep %.1f s/epoch, PyTorch %.1f s/epoch: PyTorch takes %.2fx our time\n", o, t, t / o }'
else
    echo "(PyTorch skipped: $PY cannot import torch)"
fi
fi

if section 4; then
echo
echo "== 4. sweep throughput: tests/bench/sweep_bench.yaml, -j 1 and -j 2, $ROUNDS rounds =="
# Peak of the summed PSS of a process and its children, in MB, while it runs;
# sampled every 0.2 s with shell builtins only, so the watcher itself takes
# no core away from -j 2.
watch_tree() {
    local pid=$1 peak=0 sum p kids k v
    while kill -0 "$pid" 2>/dev/null; do
        sum=0
        kids=
        [ -r "/proc/$pid/task/$pid/children" ] && read -r kids <"/proc/$pid/task/$pid/children"
        case $kids in *[!0-9\ ]*) kids= ;; esac
        for p in "$pid" $kids; do
            [ -r "/proc/$p/smaps_rollup" ] || continue
            while read -r k v _; do
                [ "$k" = "Pss:" ] && { sum=$((sum + v)); break; }
            done <"/proc/$p/smaps_rollup" 2>/dev/null
        done
        [ "$sum" -gt "$peak" ] && peak=$sum
        sleep 0.2
    done
    echo "$peak"
}
for r in $(seq "$ROUNDS"); do
    for j in 1 2; do
        rm -f "$tmp"/b.db*
        ./sweep run tests/bench/sweep_bench.yaml -j "$j" --db "$tmp/b.db" -v 2>"$tmp/err" >/dev/null &
        pid=$!
        peak=$(watch_tree "$pid")
        wait "$pid" || { echo "sweep failed:"; cat "$tmp/err"; exit 1; }
        line=$(grep '^sweep: .* trials/hour' "$tmp/err")
        echo "round $r -j $j: ${line#sweep: }; tree peak PSS $((peak / 1024)) MB"
        echo "$line" | sed -n 's/.*(\([0-9]*\) trials\/hour.*/\1/p' >>"$tmp/tph$j"
        echo "$line" | sed -n 's/.*database calls [0-9.]* s (\([0-9.]*\)%.*/\1/p' >>"$tmp/db$j"
        echo "$line" | sed -n 's/.*worker peak RSS \([0-9.]*\) MB.*/\1/p' >>"$tmp/rss$j"
        echo "$((peak / 1024))" >>"$tmp/pss$j"
    done
    # The ratio within a round: both halves saw the same machine.
    awk -v a="$(tail -1 "$tmp/tph1")" -v b="$(tail -1 "$tmp/tph2")" 'BEGIN {print b / a}' >>"$tmp/ratio"
done
t1=$(median <"$tmp/tph1"); t2=$(median <"$tmp/tph2")
p1=$(median <"$tmp/pss1"); p2=$(median <"$tmp/pss2")
awk -v t1="$t1" -v t2="$t2" -v q="$(median <"$tmp/ratio")" -v d1="$(median <"$tmp/db1")" -v d2="$(median <"$tmp/db2")" \
    -v r1="$(median <"$tmp/rss1")" -v r2="$(median <"$tmp/rss2")" -v p1="$p1" -v p2="$p2" 'BEGIN {
    printf "medians: -j 1 %d trials/hour, -j 2 %d trials/hour: %.2fx (median of the rounds\x27 ratios %.2fx)\n", t1, t2, t2 / t1, q
    printf "         database calls %.2f%% (-j 1) and %.2f%% (-j 2) of the run time\n", d1, d2
    printf "         worker peak RSS %.1f MB (-j 1), %.1f MB (-j 2)\n", r1, r2
    printf "         process tree peak PSS %d MB (-j 1), %d MB (-j 2): the second worker adds %d MB\n", p1, p2, p2 - p1
}'
fi

if section 5; then
echo
echo "== 5. sweep merge: 100 shard databases, 5,000,000 epoch rows in all, $ROUNDS rounds =="
tests/bench/merge_bench.sh 100 5000000 "$ROUNDS"
fi
