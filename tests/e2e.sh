#!/usr/bin/env bash
# End-to-end tests of single runs: ./sweep on generated data and on broken
# input; exit codes, messages, and what lands in the database.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
SWEEP=${SWEEP:-./sweep}
WORK=build/e2e
rm -rf "$WORK"; mkdir -p "$WORK"
build/gen_data "$WORK/data" 1200 300 || { echo "gen_data failed"; exit 1; }
build/gen_data "$WORK/datagz" 1200 300 gz || { echo "gen_data failed"; exit 1; }
q() { sqlite3 "$@"; }
EPOCHS="SELECT epoch, lr, train_loss, train_acc, val_loss, val_acc FROM epochs ORDER BY run_id, epoch"

# A run trains, logs its epochs, prints the summary, learns the easy problem.
if run "tiny run" 0 $SWEEP tests/configs/tiny.yaml --db $WORK/a.db -v; then
    expect "tiny run: progress line per epoch" 'trial 0 epoch 3/3 +loss [0-9.]+ +val [0-9.]+%'
    expect "tiny run: summary table" '^ +0 +done +[0-9]+ +[0-9.]+% +[0-9.]+%'
    same "tiny run: 3 epoch rows" "$(q $WORK/a.db 'SELECT count(*) FROM epochs')" 3
    ge "tiny run: test accuracy" "$(q $WORK/a.db 'SELECT test_acc FROM results')" 0.9
fi

# Same config, same seed: the same numbers, to the last digit.
run "determinism" 0 $SWEEP tests/configs/tiny.yaml --db $WORK/b.db &&
    same "determinism: identical epoch rows" "$(q $WORK/a.db "$EPOCHS")" "$(q $WORK/b.db "$EPOCHS")"

# gzip'd IDX files load the same as raw ones.
run "gzip data" 0 $SWEEP tests/configs/tiny.yaml --db $WORK/gz.db data.dir=$WORK/datagz &&
    same "gzip data: same epoch rows as raw" "$(q $WORK/a.db "$EPOCHS")" "$(q $WORK/gz.db "$EPOCHS")"

# Running it again trains nothing: the trial is done.
run "rerun" 0 $SWEEP tests/configs/tiny.yaml --db $WORK/a.db && expect "rerun: nothing to train" '0 to train'

# Overrides change the run.
run "override" 0 $SWEEP tests/configs/tiny.yaml --db $WORK/o.db train.epochs=1 'model.hidden=[16, 8]' &&
    same "override: hidden and epochs in the runs table" "$(q $WORK/o.db 'SELECT hidden, epochs FROM runs')" "16-8|1"

# A run whose loss explodes is marked diverged; no NaN reaches the database.
run "diverged" 0 $SWEEP tests/configs/tiny.yaml --db $WORK/d.db train.lr.initial=100 'model.hidden=[]' &&
    same "diverged: status and epoch" "$(q $WORK/d.db "SELECT status, error LIKE 'diverged in epoch 1%', test_acc IS NULL FROM runs")" "diverged|1|1"

# A trial that fails (here: a network too big to allocate) is recorded with
# its reason; the sweep exits 1 and the next run tries it again.
HUGE="model.hidden=[$(yes 65536 | head -32 | paste -sd, -)]"
run "failed trial" 1 $SWEEP tests/configs/tiny.yaml --db $WORK/f.db "$HUGE" &&
    expect "failed trial: says how to see why" "1 trial failed; the reasons: sqlite3"
same "failed trial: status and reason" "$(q $WORK/f.db "SELECT status, error LIKE '%out of memory%' FROM runs")" "failed|1"
run "failed trial, again" 1 $SWEEP tests/configs/tiny.yaml --db $WORK/f.db "$HUGE" &&
    expect "failed trial: tried again" '1 to train'

# Bad input: exit status 2, one line naming the place, and no database.
printf 'train:\n  epochs: 3\n  batchsize: 32\n' > "$WORK/typo.yaml"
run "unknown key" 2 $SWEEP "$WORK/typo.yaml" --db $WORK/typo.db &&
    expect "unknown key: file:line:col and did-you-mean" "typo.yaml:3:3: unknown key 'train.batchsize'; did you mean 'batch_size'"
printf 'train:\n  epochs: -3\n' > "$WORK/neg.yaml"
run "negative epochs" 2 $SWEEP "$WORK/neg.yaml" --db $WORK/neg.db &&
    expect "negative epochs: range" "neg.yaml:2:11: train.epochs must be an integer from 1"
printf 'train: {lr: {initial: 0.1\n' > "$WORK/syntax.yaml"
run "syntax error" 2 $SWEEP "$WORK/syntax.yaml" --db $WORK/syntax.db && expect "syntax error: place" 'syntax.yaml:[0-9]+:[0-9]+: '
run "missing config" 2 $SWEEP "$WORK/nope.yaml" && expect "missing config: says so" 'nope.yaml'
run "bad override" 2 $SWEEP tests/configs/tiny.yaml --db $WORK/bo.db train.epochs=many &&
    expect "bad override: names it" 'train.epochs'
run "missing data" 2 $SWEEP tests/configs/tiny.yaml --db $WORK/md.db data.dir=$WORK/nodata &&
    expect "missing data: says how to get it" 'nodata.*make data'
run "label out of range" 2 $SWEEP tests/configs/tiny.yaml --db $WORK/lr.db data.classes=5 &&
    expect "label out of range: names the label" 'label [5-9]'
run "batch larger than the data" 2 $SWEEP tests/configs/tiny.yaml --db $WORK/bs.db train.batch_size=5000 &&
    expect "batch larger than the data: names the place" 'command line.*train.batch_size \(5000\) is larger than the 1000 training examples'
n=$(ls $WORK/typo.db $WORK/neg.db $WORK/syntax.db $WORK/bo.db $WORK/md.db $WORK/lr.db $WORK/bs.db 2>/dev/null | wc -l)
same "bad input creates no database" "$n" 0

# Checkpoints: --save writes the best epoch's parameters beside the database;
# sweep eval gives back the test accuracy the run recorded; damaged or
# mismatched checkpoints get one line and exit 2.
run "save" 0 $SWEEP tests/configs/tiny.yaml --db $WORK/sv.db --save 'model.batch_norm=true' 'model.dropout=0.1' &&
    expect "save: says where the checkpoints are" "checkpoints: $WORK/sv/runs/RUN_ID.ckpt"
CK=$WORK/sv/runs/$(q $WORK/sv.db "SELECT id FROM runs").ckpt
[ -s "$CK" ] && ok "save: checkpoint file" || bad "save: no $CK"
want=$(q $WORK/sv.db "SELECT printf('test loss %.4f, test accuracy %.2f%%', test_loss, 100 * test_acc) FROM runs")
run "eval" 0 $SWEEP eval "$CK" && expect "eval: the recorded test loss and accuracy" "model 32-bn-do0.1, $want"
same "save: not part of the trial's identity" "$(q $WORK/sv.db "SELECT params LIKE '%save%' FROM runs")" 0
cp "$CK" $WORK/damaged.ckpt && printf '\x55' | dd of=$WORK/damaged.ckpt bs=1 seek=700 conv=notrunc 2>/dev/null
run "eval: damaged" 2 $SWEEP eval $WORK/damaged.ckpt && expect "eval: damaged: checksum" "damaged.ckpt: checksum mismatch"
head -c 200 "$CK" > $WORK/short.ckpt
run "eval: truncated" 2 $SWEEP eval $WORK/short.ckpt && expect "eval: truncated: says so" "short.ckpt: truncated or damaged checkpoint"
run "eval: not a checkpoint" 2 $SWEEP eval tests/configs/tiny.yaml && expect "eval: not a checkpoint: says so" "not a sweep checkpoint"
mkdir -p $WORK/size32
cp $WORK/data/train-* $WORK/data/t10k-labels-idx1-ubyte $WORK/size32/
{ printf '\x00\x00\x08\x03\x00\x00\x01\x2c\x00\x00\x00\x20\x00\x00\x00\x20'; head -c $((300 * 32 * 32)) /dev/zero; } > $WORK/size32/t10k-images-idx3-ubyte
run "eval: other data" 2 $SWEEP eval "$CK" --data $WORK/size32 && expect "eval: other data: names both sizes" "takes 28x28x1 images but the test images in .* are 32x32x1|32x32"
run "eval --help" 0 $SWEEP eval --help && expect "eval --help: usage" 'usage: sweep eval CKPT'

# Help, version, schema.
run "help" 0 $SWEEP --help && expect "help: lists run, report, schema" 'run.*' && expect "help: report" 'report'
run "run --help" 0 $SWEEP run --help && expect "run --help: usage" 'usage: sweep run'
run "version" 0 $SWEEP --version && expect "version" '^sweep [0-9]'
run "unknown command" 2 $SWEEP frobnicate && expect "unknown command: says so" "unknown command 'frobnicate'"
run "schema" 0 $SWEEP schema && expect "schema: the tables" 'CREATE TABLE runs' && expect "schema: the view" 'CREATE VIEW results'

finish e2e
