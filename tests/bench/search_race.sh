#!/usr/bin/env bash
# search_race.sh - sweep's TPE + ASHA against Optuna's TPE + SuccessiveHalving
# driving PyTorch, on the same search space (configs/tpe.yaml), 2 workers
# each, the same wall budget, side by side for several search seeds.
# For each run: seconds from the command's start to the first trial with a
# test accuracy >= 98.0% and >= 98.2%, and the best test accuracy within the
# budget; then the medians over the seeds. A benchmark, not a test.
#
# usage: tests/bench/search_race.sh [SECONDS] [SEEDS...]   (default: 300 1 2 3)
# TOOLS="sweep" runs ours alone; SWEEP_ARGS="KEY=VALUE ..." adds overrides.
set -u
cd "$(dirname "$0")/../.."
SECONDS_BUDGET=${1:-300}
shift || true
SEEDS=${*:-1 2 3}
TOOLS=${TOOLS:-sweep optuna}
SWEEP_ARGS=${SWEEP_ARGS:-}
PY=/usr/bin/python3
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
make -s sweep data >/dev/null || exit 1
if [[ " $TOOLS " == *" optuna "* ]] && ! $PY -c "import optuna, torch" 2>/dev/null; then
    echo "search_race: $PY cannot import optuna and torch; install them with: sudo apt-get install python3-optuna python3-torch libopenblas0" >&2
    exit 1
fi

# summary FILE: "t98.0 t98.2 best" from lines "seconds<TAB>test_acc" (done trials)
summary() {
    awk -F'\t' -v B="$SECONDS_BUDGET" 'BEGIN { a = "-"; b = "-"; best = 0 }
        $2 != "" && $1 <= B { if ($2 >= 0.980 && a == "-") a = sprintf("%.1f", $1); if ($2 >= 0.982 && b == "-") b = sprintf("%.1f", $1);
                   if ($2 > best) best = $2 }
        END { printf "%s %s %.4f\n", a, b, best }' <(sort -g "$1")
}

printf "%-8s %-6s %10s %10s %10s %8s %8s\n" tool seed "s to 98.0" "s to 98.2" "best test" ended pruned
for seed in $SEEDS; do
    # Both count from the command's start. finished_at has 1 s resolution:
    # ours is taken at the end of its second, an upper bound.
    db=$tmp/sweep-$seed.db
    t0=$(date +%s.%N)
    # shellcheck disable=SC2086
    ./sweep configs/tpe.yaml -j 2 --db "$db" "sweep.seed=$seed" "sweep.budget={seconds: $SECONDS_BUDGET}" $SWEEP_ARGS >/dev/null 2>&1
    sqlite3 -separator $'\t' "$db" "SELECT strftime('%s', finished_at) + 1 - $t0, test_acc FROM runs WHERE status = 'done'" > "$tmp/ours-$seed.tsv"
    read -r a b best < <(summary "$tmp/ours-$seed.tsv")
    read -r ended pruned < <(sqlite3 -separator ' ' "$db" "SELECT count(*), count(*) FILTER (WHERE status = 'pruned') FROM runs WHERE status IN ('done', 'pruned')")
    printf "%-8s %-6s %10s %10s %10s %8s %8s\n" sweep "$seed" "$a" "$b" "$best" "$ended" "$pruned" | tee -a "$tmp/rows"
    [[ " $TOOLS " == *" optuna "* ]] || continue
    # Optuna + PyTorch
    t0=$(date +%s.%N)
    (cd tests/bench && $PY optuna_torch.py --t0 "$t0" --data ../../data/mnist --seed "$seed" --seconds "$SECONDS_BUDGET" --out "$tmp/optuna-$seed.raw")
    awk -F'\t' '$2 == "done" { print $1 "\t" $3 }' "$tmp/optuna-$seed.raw" > "$tmp/optuna-$seed.tsv"
    read -r a b best < <(summary "$tmp/optuna-$seed.tsv")
    read -r ended pruned < <(awk -F'\t' -v B="$SECONDS_BUDGET" '$1 <= B { n++; if ($2 == "pruned") p++ } END { print n + 0, p + 0 }' "$tmp/optuna-$seed.raw")
    printf "%-8s %-6s %10s %10s %10s %8s %8s\n" optuna "$seed" "$a" "$b" "$best" "$ended" "$pruned" | tee -a "$tmp/rows"
done
echo "medians over seeds $SEEDS ('-': never reached; counts as the budget):"
for tool in $TOOLS; do
    awk -v t=$tool -v B="$SECONDS_BUDGET" 'BEGIN { n = 0 }   # (an unset n would key the first row as "")
        $1 == t { for (i = 3; i <= 5; i++) v[i, n] = ($i == "-" ? B : $i + 0); n++ }
        function med(c,   a, k, j, x) { for (k = 0; k < n; k++) a[k] = v[c, k];
            for (k = 1; k < n; k++) for (j = k; j > 0 && a[j-1] > a[j]; j--) { x = a[j]; a[j] = a[j-1]; a[j-1] = x }
            return n % 2 ? a[int((n-1)/2)] : (a[n/2-1] + a[n/2]) / 2 }
        END { printf "%-8s to 98.0%%: %s s, to 98.2%%: %s s, best in %s s: %.2f%%\n", t, med(3), med(4), B, 100 * med(5) }' "$tmp/rows"
done
