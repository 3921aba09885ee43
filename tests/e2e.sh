#!/usr/bin/env bash
# End-to-end tests: run ./sweep on generated data and on broken input, and
# check exit codes, messages and results. Prints one line per check and a
# closing "N passed, N failed" line; exits non-zero if any failed.
set -u
cd "$(dirname "$0")/.."
SWEEP=./sweep
WORK=build/e2e
rm -rf "$WORK"; mkdir -p "$WORK"
build/gen_data "$WORK/data" 1200 300 || { echo "gen_data failed"; exit 1; }
build/gen_data "$WORK/datagz" 1200 300 gz || { echo "gen_data failed"; exit 1; }

pass=0; fail=0
ok()  { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; shift; for l in "$@"; do echo "     $l"; done; }

# run NAME EXPECTED_STATUS CMD... : runs CMD, keeps stdout+stderr in $out
run() {
    local name=$1 want=$2; shift 2
    out=$("$@" 2>&1); status=$?
    if [ "$status" -ne "$want" ]; then bad "$name: exit $status, wanted $want" "$out"; return 1; fi
    return 0
}
expect() {  # expect NAME PATTERN: $out matches the extended regex
    if grep -Eq -- "$2" <<<"$out"; then ok "$1"; else bad "$1: no match for /$2/" "$out"; fi
}

# A run trains, prints its epochs and the summary, and learns the easy problem.
if run "tiny run" 0 $SWEEP tests/configs/tiny.yaml; then
    expect "tiny run: epoch lines" '^    3 '
    acc=$(sed -nE 's/.*test ([0-9.]+)%.*/\1/p' <<<"$out")
    if awk -v a="${acc:-0}" 'BEGIN { exit !(a >= 90) }'; then ok "tiny run: test accuracy $acc% >= 90%"
    else bad "tiny run: test accuracy ${acc:-none} < 90%" "$out"; fi
fi
first=$out

# Same config, same seed: the same numbers (times aside).
strip() { sed -E 's/ +[0-9.]+s$//; s/, [0-9.]+ s$//' <<<"$1"; }
if run "determinism" 0 $SWEEP run tests/configs/tiny.yaml; then
    if [ "$(strip "$first")" = "$(strip "$out")" ]; then ok "determinism: identical metrics"
    else bad "determinism: runs differ" "$(diff <(strip "$first") <(strip "$out"))"; fi
fi

# gzip'd IDX files load the same as raw ones.
if run "gzip data" 0 $SWEEP tests/configs/tiny.yaml data.dir=$WORK/datagz; then
    if [ "$(strip "$first")" = "$(strip "$out")" ]; then ok "gzip data: same results as raw"
    else bad "gzip data: results differ from raw" "$out"; fi
fi

# Overrides change the run.
run "override" 0 $SWEEP tests/configs/tiny.yaml train.epochs=1 'model.hidden=[16, 8]' &&
    expect "override: one epoch, two hidden layers" '784-16-8-10.*1 epochs'

# Bad input: exit status 2 and one line naming the place.
printf 'train:\n  epochs: 3\n  batchsize: 32\n' > "$WORK/typo.yaml"
run "unknown key" 2 $SWEEP "$WORK/typo.yaml" &&
    expect "unknown key: file:line:col and did-you-mean" "typo.yaml:3:3: unknown key 'train.batchsize'; did you mean 'batch_size'"
printf 'train:\n  epochs: -3\n' > "$WORK/neg.yaml"
run "negative epochs" 2 $SWEEP "$WORK/neg.yaml" &&
    expect "negative epochs: range" "neg.yaml:2:11: train.epochs must be an integer from 1"
printf 'train: {lr: {initial: 0.1\n' > "$WORK/syntax.yaml"
run "syntax error" 2 $SWEEP "$WORK/syntax.yaml" && expect "syntax error: place" 'syntax.yaml:[0-9]+:[0-9]+: '
run "missing config" 2 $SWEEP "$WORK/nope.yaml" && expect "missing config: says so" 'nope.yaml'
run "bad override" 2 $SWEEP tests/configs/tiny.yaml train.epochs=many &&
    expect "bad override: names it" 'train.epochs'
run "missing data" 2 $SWEEP tests/configs/tiny.yaml data.dir=$WORK/nodata &&
    expect "missing data: says how to get it" 'nodata.*make data'
run "label out of range" 2 $SWEEP tests/configs/tiny.yaml data.classes=5 &&
    expect "label out of range: names the label" 'label [5-9]'

# Help and version.
run "help" 0 $SWEEP --help && expect "help: lists run" 'run'
run "run --help" 0 $SWEEP run --help && expect "run --help: usage" 'usage: sweep run'
run "version" 0 $SWEEP --version && expect "version" '^sweep [0-9]'
run "unknown command" 2 $SWEEP frobnicate && expect "unknown command: says so" "unknown command 'frobnicate'"

echo "e2e: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
