#!/usr/bin/env bash
# asan_e2e.sh BUILD_DIR - end-to-end runs of a sanitizer build of sweep
# (make test-asan): a tiny grid with -j 2, a bad config, report, plot.
# Run with ASAN_OPTIONS/UBSAN_OPTIONS set; a sanitizer report fails it.
set -u
cd "$(dirname "$0")/../.."
B=${1:-build-asan}
SWEEP=$B/sweep
WORK=$B/e2e
rm -rf "$WORK"; mkdir -p "$WORK"
fails=0
san() { grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: (Address|UndefinedBehavior)Sanitizer' "$1"; }
# check NAME WANT_STATUS CMD...: the status, and no sanitizer output.
check() {
    local name=$1 want=$2; shift 2
    "$@" >"$WORK/out" 2>&1; local st=$?
    if [ "$st" != "$want" ] || san "$WORK/out"; then
        echo "FAIL: $name (exit $st, want $want)"; tail -40 "$WORK/out"; fails=$((fails + 1))
    else
        echo "ok: $name"
    fi
}
check "gen_data" 0 "$B/gen_data" "$WORK/data" 1000 200
check "gen_data gz" 0 "$B/gen_data" "$WORK/datagz" 600 100 gz
G="data.dir=$WORK/data train.epochs=2 data.validation=200"
check "grid -j 2" 0 $SWEEP tests/configs/tiny_grid.yaml --db "$WORK/g.db" -j 2 -v $G \
    'sweep.parameters.train.seed=[1, 2]'
check "rerun: nothing to train" 0 $SWEEP tests/configs/tiny_grid.yaml --db "$WORK/g.db" -j 2 $G \
    'sweep.parameters.train.seed=[1, 2]'
check "random -j 2" 0 $SWEEP tests/configs/tiny_random.yaml --db "$WORK/r.db" -j 2 $G
check "gzip data, single run" 0 $SWEEP tests/configs/tiny.yaml --db "$WORK/t.db" \
    "data.dir=$WORK/datagz" train.epochs=1 data.validation=100
check "diverged" 0 $SWEEP tests/configs/tiny.yaml --db "$WORK/d.db" "data.dir=$WORK/data" \
    train.epochs=1 train.lr.initial=100 'model.hidden=[]'
check "dry run" 0 $SWEEP tests/configs/tiny_grid.yaml --dry-run
check "report" 0 $SWEEP report "$WORK/g.db"
check "report --top 1" 0 $SWEEP report "$WORK/g.db" --top 1
check "report of a missing db" 2 $SWEEP report "$WORK/none.db"
check "plot" 0 $SWEEP plot "$WORK/g.db" -o "$WORK/plots"
check "plot --compare" 0 $SWEEP plot --compare "$WORK/g.db" "$WORK/r.db" -o "$WORK/cmp"
check "schema" 0 $SWEEP schema
check "help" 0 $SWEEP --help
printf 'train:\n  epochs: 3\n  batchsize: 32\n' > "$WORK/typo.yaml"
check "bad config: unknown key" 2 $SWEEP "$WORK/typo.yaml" --db "$WORK/typo.db"
printf 'train: {lr: {initial: 0.1\n' > "$WORK/syntax.yaml"
check "bad config: syntax" 2 $SWEEP "$WORK/syntax.yaml" --db "$WORK/syntax.db"
check "bad override" 2 $SWEEP tests/configs/tiny.yaml --db "$WORK/o.db" 'model.hidden=[1,'
check "missing data" 2 $SWEEP tests/configs/tiny.yaml --db "$WORK/m.db" "data.dir=$WORK/nope"
for f in tests/bad_yaml/*.yaml; do
    check "bad yaml: $(basename "$f")" 2 $SWEEP "$f" --db "$WORK/bad.db"
done
[ "$fails" = 0 ] && echo "asan e2e: all passed" || echo "asan e2e: $fails failed"
[ "$fails" = 0 ]
