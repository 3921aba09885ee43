#!/usr/bin/env bash
# merge_bench.sh - how long `sweep merge` takes to join SHARDS shard databases
# holding ROWS epoch rows in all (default 100 and 5,000,000: 500 runs of 100
# epochs per shard). The shards are made with sqlite3 from `sweep schema`,
# not by training; each run has a params JSON of a real trial's size. Prints
# each round's time and the median. A benchmark, not a test.
#
# usage: tests/bench/merge_bench.sh [SHARDS] [ROWS] [ROUNDS]   (default 100 5000000 3)
set -u
cd "$(dirname "$0")/../.."
N=${1:-100}
ROWS=${2:-5000000}
ROUNDS=${3:-3}
RUNS=500                          # per shard
EP=$((ROWS / (N * RUNS)))         # epochs per run
[ "$EP" -ge 1 ] || { echo "merge_bench: ROWS must be at least SHARDS x $RUNS"; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/merge-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
make -s sweep || exit 1

t0=$(date +%s.%N)
{
    ./sweep schema
    echo "PRAGMA user_version = $(./sweep schema | sed -n 's/.*schema version \([0-9]*\).*/\1/p' | head -1);"
    cat <<SQL
INSERT INTO sweeps(name, config, created_at, host, version, shard, trials)
    VALUES ('bench', 'name: bench
train: {epochs: $EP}
', '2026-01-01T00:00:00Z', 'node', 'bench', '0/$N', $RUNS);
WITH RECURSIVE j(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM j WHERE j + 1 < $RUNS)
INSERT INTO runs(sweep_id, trial, params, swept, hidden, model, epochs, batch_size, optimizer,
                 momentum, lr_schedule, lr, l2, seed, status, best_epoch, best_val_acc, test_loss,
                 test_acc, train_seconds, started_at, finished_at, claimed_by)
SELECT 1, j * $N,
    json_object('data', json_object('dataset', 'mnist', 'dir', 'data/mnist', 'validation', 10000,
                                    'limit', 0, 'classes', 0, 'split_seed', 1),
                'model', json_object('hidden', json_array(256), 'dropout', 0, 'batch_norm', json('false')),
                'train', json_object('epochs', $EP, 'batch_size', 128, 'l2', 0.0001, 'seed', 1,
                                     'optimizer', json_object('type', 'sgd', 'momentum', 0.9),
                                     'lr', json_object('schedule', 'cosine', 'initial', 0.001 * (j + 1)))),
    json_object('train.lr.initial', 0.001 * (j + 1)), '256', '256', $EP, 128, 'sgd', 0.9, 'cosine',
    0.001 * (j + 1), 0.0001, 1, 'done', $EP, 0.98, 0.07, 0.979, 12.5,
    '2026-01-01T00:00:00Z', '2026-01-01T00:00:13Z', 'node:1'
FROM j;
WITH RECURSIVE e(e) AS (SELECT 1 UNION ALL SELECT e + 1 FROM e WHERE e < $EP)
INSERT INTO epochs(run_id, epoch, lr, train_loss, train_acc, val_loss, val_acc, seconds)
SELECT r.id, e.e, 0.1 / e.e, 1.0 / e.e, 1 - 0.1 / e.e, 1.1 / e.e, 0.99 - 0.1 / e.e, 0.61
FROM runs r, e ORDER BY r.id, e.e;
SQL
} | sqlite3 "$tmp/shard-0.db" || exit 1
for ((k = 1; k < N; k++)); do
    cp "$tmp/shard-0.db" "$tmp/shard-$k.db"
    sqlite3 "$tmp/shard-$k.db" "UPDATE runs SET trial = trial + $k; UPDATE sweeps SET shard = '$k/$N'"
done
gen=$(echo "$(date +%s.%N) - $t0" | bc)
rows=$(sqlite3 "$tmp/shard-0.db" "SELECT count(*) FROM epochs")
printf "%d shards of %d runs and %d epoch rows each (%d epoch rows in all, %s MB on disk), made in %.1f s\n" \
    "$N" "$RUNS" "$rows" $((rows * N)) "$(du -cm "$tmp"/shard-*.db | tail -1 | cut -f1)" "$gen"

shards=()
for ((k = 0; k < N; k++)); do shards+=("$tmp/shard-$k.db"); done
for r in $(seq "$ROUNDS"); do
    rm -f "$tmp/out.db"
    s=$(date +%s.%N)
    ./sweep merge "$tmp/out.db" "${shards[@]}" >/dev/null || exit 1
    e=$(echo "$(date +%s.%N) - $s" | bc)
    echo "$e" >>"$tmp/times"
    printf "round %d: sweep merge took %.1f s\n" "$r" "$e"
done
got=$(sqlite3 "$tmp/out.db" "SELECT count(*) FROM runs; SELECT count(*) FROM epochs; SELECT trials FROM sweeps" | tr '\n' ' ')
echo "merged database: runs, epochs, trials = $got($(du -m "$tmp/out.db" | cut -f1) MB)"
sort -g "$tmp/times" | awk '{ a[NR] = $1 } END { printf "median: %.1f s to merge %d shards (target: under 60 s)\n", a[int((NR + 1) / 2)], '"$N"' }'
