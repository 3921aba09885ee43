#!/usr/bin/env bash
# End-to-end tests of sharded sweeps on generated data: sweep run --shard K/N,
# sweep merge (equal to a -j 1 run, idempotent, refusals, atomic under
# SIGKILL), resume of a killed shard, TPE shards, sweep status.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
SWEEP=${SWEEP:-./sweep}
case $SWEEP in /*) ;; *) SWEEP=$PWD/$SWEEP ;; esac
WORK=build/e2e-shards
rm -rf "$WORK"; mkdir -p "$WORK"
build/gen_data "$WORK/data" 3000 300 >/dev/null || { echo "gen_data failed"; exit 1; }
build/gen_data "$WORK/big" 30000 300 >/dev/null || { echo "gen_data failed"; exit 1; }
D="data.dir=$WORK/data"
GRID=tests/configs/tiny_grid.yaml
RANDOM_CFG=tests/configs/tiny_random.yaml
TPE=tests/configs/tiny_tpe.yaml
# What must not depend on sharding (times and hosts may).
RUNS="SELECT trial, params, swept, hidden, model, epochs, batch_size, optimizer, momentum, lr_schedule, lr, l2, seed, status, best_epoch, best_val_acc, test_loss, test_acc FROM runs ORDER BY trial"
EPOCHS="SELECT r.trial, e.epoch, e.lr, e.train_loss, e.train_acc, e.val_loss, e.val_acc FROM epochs e JOIN runs r ON r.id = e.run_id ORDER BY r.trial, e.epoch"
q() { sqlite3 "$@"; }
trials() { $SWEEP "$@" --dry-run | awk 'NR > 1 { printf "%s ", $1 }'; }

# The partition: equal costs deal round robin; unequal ones balance.
same "grid 6 trials / 4 shards: round robin" \
    "$(for k in 0 1 2 3; do trials $GRID $D --shard $k/4; echo "|"; done)" "$(printf '0 4 |\n1 5 |\n2 |\n3 |')"
H="sweep.parameters.model.hidden=[[8],[64],[256]] sweep.parameters.train.seed=[1,2]"
same "unequal costs: the two biggest models apart, the rest balanced" \
    "$(for k in 0 1 2; do trials $GRID $D $H --shard $k/3; echo "|"; done)" "$(printf '2 11 |\n0 1 5 6 7 |\n3 4 8 9 10 |')"
run "shard list names the shard" 0 $SWEEP $GRID $D --shard 1/4 --dry-run &&
    expect "shard list: header" '^tiny_grid shard 1/4: 2 trials$'
run "--shard 4/4" 2 $SWEEP $GRID $D --shard 4/4 && expect "--shard 4/4: what is wanted" '--shard needs K/N with 0 <= K < N'
run "--shard 2" 2 $SWEEP $GRID $D --shard 2 && expect "--shard 2: message" '--shard needs K/N'
run "--shard 0/0" 2 $SWEEP $GRID $D --shard 0/0

# Four shards of a grid and of a random search, merged = one -j 1 run.
for cfg in $GRID $RANDOM_CFG; do
    n=$(basename "$cfg" .yaml)
    run "$n -j 1" 0 $SWEEP "$cfg" $D --db $WORK/$n-j1.db
    for k in 0 1 2 3; do run "$n shard $k/4" 0 $SWEEP "$cfg" $D --shard $k/4 --db $WORK/$n-$k.db; done
    run "$n merge" 0 $SWEEP merge $WORK/$n-merged.db $WORK/$n-{0,1,2,3}.db &&
        expect "$n merge: one line per shard" "$n-3.db: shard 3/4, [0-9]+ runs? and [0-9]+ epoch rows added"
    same "$n: merged runs rows = -j 1" "$(q $WORK/$n-j1.db "$RUNS")" "$(q $WORK/$n-merged.db "$RUNS")"
    same "$n: merged epochs rows = -j 1" "$(q $WORK/$n-j1.db "$EPOCHS")" "$(q $WORK/$n-merged.db "$EPOCHS")"
done
same "merged sweep knows its shards and trial count" "$(q $WORK/tiny_grid-merged.db "SELECT shard, trials FROM sweeps")" "*/4|6"
same "a shard records K/N and its trials" "$(q $WORK/tiny_grid-2.db "SELECT shard, trials FROM sweeps")" "2/4|1"
same "a shard uses the rollback journal, not WAL (readers on other nodes)" "$(q $WORK/tiny_grid-2.db "PRAGMA journal_mode")" "delete"
before=$(q $WORK/tiny_grid-merged.db "SELECT count(*) FROM runs; SELECT count(*) FROM epochs")
run "merge a shard again" 0 $SWEEP merge $WORK/tiny_grid-merged.db $WORK/tiny_grid-1.db &&
    expect "merge again: nothing added" 'shard 1/4, 0 runs and 0 epoch rows added'
same "merge again: same rows" "$(q $WORK/tiny_grid-merged.db "SELECT count(*) FROM runs; SELECT count(*) FROM epochs")" "$before"
run "report of the merge" 0 $SWEEP report $WORK/tiny_grid-merged.db && expect "report of the merge: counts" '6 trials: 6 done'

# Default database name.
(cd $WORK && $SWEEP "$OLDPWD/$GRID" data.dir=data --shard 3/4 >/dev/null 2>&1)
same "default database: experiments/NAME.shard-K-of-N.db" "$(ls $WORK/experiments)" "tiny_grid.shard-3-of-4.db"

# Refusals name the file; the output stays as it was.
sum() { md5sum < "$1"; }
q $WORK/tiny_grid-merged.db "PRAGMA journal_mode = DELETE" >/dev/null  # a file in any mode stays as it was
ref=$(sum $WORK/tiny_grid-merged.db)
run "merge: shard of another config" 2 $SWEEP merge $WORK/tiny_grid-merged.db $WORK/tiny_grid-0.db $WORK/tiny_random-1.db &&
    expect "another config: named, with the difference" "tiny_random-1.db is a shard of another sweep than .*tiny_grid-0.db \(its resolved config differs at line [0-9]+: "
echo "not a database" > $WORK/text.db
run "merge: not SQLite" 2 $SWEEP merge $WORK/tiny_grid-merged.db $WORK/text.db &&
    expect "not SQLite: named" 'text.db is not a SQLite database'
q $WORK/other.db "CREATE TABLE t(x)"
run "merge: not a sweep database" 2 $SWEEP merge $WORK/tiny_grid-merged.db $WORK/other.db &&
    expect "not a sweep database: named" 'other.db is a SQLite database, not a sweep database \(tables: t\)'
cp $WORK/tiny_grid-0.db $WORK/old.db && q $WORK/old.db "PRAGMA user_version = 3"
run "merge: another schema version" 2 $SWEEP merge $WORK/tiny_grid-merged.db $WORK/old.db &&
    expect "schema version: named" 'old.db has schema version 3, this sweep merges version 4'
cp $WORK/tiny_grid-0.db $WORK/new.db && q $WORK/new.db "PRAGMA user_version = 5"
run "merge: a newer schema version" 2 $SWEEP merge $WORK/tiny_grid-merged.db $WORK/new.db &&
    expect "newer schema: merge it with the newer sweep" 'new.db has schema version 5, this sweep merges version 4: merge it with the newer sweep that wrote it$'
cp $WORK/tiny_grid-0.db $WORK/two.db
run "a shard rerun with another config" 0 $SWEEP $GRID $D --shard 0/4 --db $WORK/two.db train.epochs=1
run "merge: a shard file holding two sweeps" 2 $SWEEP merge $WORK/tiny_grid-merged.db $WORK/two.db &&
    expect "two sweeps in one shard file: what to do" 'two.db holds two sweeps: its config changed between runs of this shard \(at line [0-9]+: .*\); .*run the shard again into a new file \(--db\)'
head -c $(($(stat -c %s $WORK/tiny_random-merged.db) / 2)) $WORK/tiny_random-merged.db > $WORK/torn.db
run "merge: a damaged shard" 2 $SWEEP merge $WORK/tiny_grid-merged.db $WORK/torn.db &&
    expect "damaged shard: named, with the fix" 'torn.db is a damaged SQLite database \(.*\): move it away and run its shard again'
run "merge: missing shard" 2 $SWEEP merge $WORK/tiny_grid-merged.db $WORK/nothere.db &&
    expect "missing shard: named" 'nothere.db: no such file'
run "merge: output among the shards" 2 $SWEEP merge $WORK/tiny_grid-0.db $WORK/tiny_grid-0.db
if su nobody -s /bin/bash -c true 2>/dev/null; then
    RO=$(mktemp -d); chmod 755 "$RO"
    cp $WORK/tiny_grid-merged.db $WORK/tiny_grid-1.db "$RO/" && chmod 444 "$RO/tiny_grid-merged.db" && chmod 777 "$RO"
    run "merge: read-only output (as nobody)" 2 su nobody -s /bin/bash -c "$SWEEP merge $RO/tiny_grid-merged.db $RO/tiny_grid-1.db" &&
        expect "read-only output: the fix" 'tiny_grid-merged.db is not writable \(Permission denied\); make it writable \(chmod u\+w\) or merge into another file'
    rm -rf "$RO"
fi
same "refused merges leave the output untouched" "$(sum $WORK/tiny_grid-merged.db)" "$ref"
same "no work files left behind" "$(ls $WORK | grep -c merging)" 0

# SIGKILL at any moment: the output is as it was or complete.
run "big shards" 0 $SWEEP $GRID data.dir=$WORK/big data.validation=2000 train.epochs=20 --shard 0/2 --db $WORK/b0.db
run "big shards 1" 0 $SWEEP $GRID data.dir=$WORK/big data.validation=2000 train.epochs=20 --shard 1/2 --db $WORK/b1.db
for i in 1 2 3; do  # the median merge's time; kills land within 1.5x it
    cp $WORK/tiny_grid-merged.db $WORK/kill-out.db
    t0=$(date +%s%N); $SWEEP merge $WORK/kill-out.db $WORK/b0.db $WORK/b1.db >/dev/null 2>&1
    echo $((($(date +%s%N) - t0) / 1000000 + 1))
done > $WORK/merge-ms
ms=$(sort -n $WORK/merge-ms | sed -n 2p)
cp $WORK/tiny_grid-merged.db $WORK/kill-out.db
ref=$(sum $WORK/kill-out.db); torn=0; whole=0; untouched=0
kills=0
while [ $kills -lt 16 ] || { [ $kills -lt 64 ] && { [ $untouched -lt 2 ] || [ $whole -lt 2 ]; }; }; do
    kills=$((kills + 1))
    wait_s=$(awk -v r=$RANDOM -v ms=$ms 'BEGIN { printf "%.4f", r / 32768 * 1.5 * ms / 1000 }')
    $SWEEP merge $WORK/kill-out.db $WORK/b0.db $WORK/b1.db >/dev/null 2>&1 &
    pid=$!
    sleep "$wait_s"
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
    s=$(sum $WORK/kill-out.db)
    if [ "$s" = "$ref" ]; then untouched=$((untouched + 1)); else
        n=$(q $WORK/kill-out.db "SELECT count(*) FROM runs WHERE sweep_id = (SELECT max(id) FROM sweeps)" 2>&1)
        [ "$n" = 6 ] && whole=$((whole + 1)) || torn=$((torn + 1))
        cp $WORK/tiny_grid-merged.db $WORK/kill-out.db
    fi
    rm -f $WORK/kill-out.db.merging-*
done
same "merge killed $kills times within 1.5x its $ms ms: never a partial output" "$torn" 0
ge "merge killed: kills that left the output as it was" "$untouched" 2
ge "merge killed: merges that completed before the kill" "$whole" 2

# Two merges into one output at once: one waits for the other, none is lost.
rm -f $WORK/both.db
$SWEEP merge $WORK/both.db $WORK/b0.db > $WORK/m1.out 2>&1 & p1=$!
$SWEEP merge $WORK/both.db $WORK/b1.db > $WORK/m2.out 2>&1 & p2=$!
wait $p1; s1=$?; wait $p2; s2=$?
same "two merges at once: both succeed" "$s1 $s2" "0 0"
same "two merges at once: every run is there" "$(q $WORK/both.db "SELECT count(*), count(DISTINCT trial) FROM runs")" "6|6"

# A killed shard resumes where it stopped.
BIG="data.dir=$WORK/big data.validation=2000 train.epochs=6"
run "shard reference" 0 $SWEEP $GRID $BIG --shard 1/2 --db $WORK/kref.db
SWEEP_TEST_EPOCH_DELAY=1 $SWEEP $GRID $BIG --shard 1/2 --db $WORK/kill.db >/dev/null 2>&1 &
pid=$!
for i in $(seq 100); do
    [ "$(q $WORK/kill.db "SELECT count(*) FROM runs WHERE status = 'done'" 2>/dev/null)" = 1 ] && break
    sleep 0.1
done
kill -9 $pid; wait $pid 2>/dev/null; sleep 0.1
run "resume the killed shard" 0 $SWEEP $GRID $BIG --shard 1/2 --db $WORK/kill.db
same "resumed shard: same rows as uninterrupted" "$(q $WORK/kref.db "$EPOCHS")" "$(q $WORK/kill.db "$EPOCHS")"

# A requeued task may run on another node: a shard's database belongs to its
# task, so runs another host left running are trained again.
q $WORK/kill.db "UPDATE runs SET status = 'running', claimed_by = 'node17:4242' WHERE trial = 1"
run "requeued on another node" 0 $SWEEP $GRID $BIG --shard 1/2 --db $WORK/kill.db
same "requeued: the other host's running run trained again" "$(q $WORK/kill.db "SELECT status, claimed_by <> 'node17:4242' FROM runs WHERE trial = 1")" "done|1"
same "requeued: same rows as uninterrupted" "$(q $WORK/kref.db "$EPOCHS")" "$(q $WORK/kill.db "$EPOCHS")"

# TPE: shard K runs its own search; shard 0 of 1 is the whole search.
run "tpe whole" 0 $SWEEP $TPE $D -j 2 --db $WORK/tpe.db
run "tpe shard 0/1" 0 $SWEEP $TPE $D -j 2 --shard 0/1 --db $WORK/tpe01.db
same "tpe: shard 0/1 = the whole sweep" "$(q $WORK/tpe.db "$RUNS")" "$(q $WORK/tpe01.db "$RUNS")"
for k in 0 1 2; do run "tpe shard $k/3" 0 $SWEEP $TPE $D -j 2 --shard $k/3 --db $WORK/tpe-$k.db; done
same "tpe shard 1/3: trials 1, 4, 7, ..." "$(q $WORK/tpe-1.db "SELECT group_concat(trial, ' ') FROM runs")" "1 4 7 10 13"
same "tpe shards 0 and 1 draw differently" \
    "$(q $WORK/tpe-0.db "SELECT swept FROM runs WHERE trial = 0" | cmp -s - <(q $WORK/tpe-1.db "SELECT swept FROM runs WHERE trial = 1") && echo same || echo differ)" differ
run "tpe merge" 0 $SWEEP merge $WORK/tpe-merged.db $WORK/tpe-{0,1,2}.db
same "tpe merge: 16 trials, numbered 0..15" "$(q $WORK/tpe-merged.db "SELECT count(*), min(trial), max(trial), count(DISTINCT trial) FROM runs")" "16|0|15|16"
run "tpe shard 1/2" 0 $SWEEP $TPE $D -j 2 --shard 1/2 --db $WORK/tpe-1of2.db
run "merge: shards of different N" 2 $SWEEP merge $WORK/tpe-mixed.db $WORK/tpe-0.db $WORK/tpe-1of2.db &&
    expect "different N: named" "tpe-1of2.db is shard 1/2, but the shards before it are of 3"
run "merge: shards of another N than those merged before" 2 $SWEEP merge $WORK/tpe-merged.db $WORK/tpe-1of2.db &&
    expect "another N than the merged file: named" "tpe-1of2.db is shard 1/2, but .*tpe-merged.db holds this sweep merged from 3 shards"
run "slurm: more tasks than shards" 2 $SWEEP slurm $GRID --tasks 200000 &&
    expect "slurm: the shard limit" 'sweep slurm: --tasks 200000 is more than the 100000 shards a sweep can run in'
run "tpe shard 1/3 again: nothing to do" 0 $SWEEP $TPE $D -j 2 --shard 1/3 --db $WORK/tpe-1.db
same "tpe shard resumed: no new rows" "$(q $WORK/tpe-1.db "SELECT count(*) FROM runs")" 5

# Status: counts, a shard without a database, a shard that failed.
run "status" 0 $SWEEP status "$WORK/tiny_grid-[0-9].db" &&
    expect "status: a row per shard" '^2/4 +1 +0 +0 +0 +0 +0  .*tiny_grid-2.db$' &&
    expect "status: totals" '^all +6 +0 +0 +0 +0 +0  \(4 databases\)'
mkdir -p $WORK/st && cp $WORK/tiny_grid-0.db $WORK/st/g.shard-0-of-3.db && cp $WORK/tiny_grid-1.db $WORK/st/g.shard-1-of-3.db
run "status: a shard not started" 0 $SWEEP status "$WORK/st/g.shard-*-of-3.db" &&
    expect "status: names the missing shard" '^2/3 +no database yet \(.*st/g.shard-2-of-3.db\)'
run "status: nothing matches yet" 0 $SWEEP status "$WORK/st/none.shard-*-of-3.db" &&
    expect "status: says so" 'none.shard-\*-of-3.db: no file matches yet \(no task has written its database' &&
    expect "status: zero totals" '^all +0 +0 +0 +0 +0 +0  \(0 databases\)'
touch $WORK/st/g.shard--1-of-3.db $WORK/st/g.shard-7-of-3.db  # names that are no shard of 3
echo "garbage" > $WORK/st/g.shard-2-of-3.db
run "status: a broken shard" 1 $SWEEP status "$WORK/st/g.shard-*-of-3.db" &&
    expect "status: names the broken shard" '^2/3 +.*g.shard-2-of-3.db.*not a SQLite'
cp $WORK/tiny_grid-2.db $WORK/st/g.shard-2-of-3.db
q $WORK/st/g.shard-2-of-3.db "UPDATE runs SET status = 'failed', error = 'worker died'"
run "status: a shard with a failed trial" 1 $SWEEP status "$WORK/st/g.shard-*-of-3.db" &&
    expect "status: says which shard failed" 'shard 2/4 has 1 failed trial: sqlite3 .*g.shard-2-of-3.db'

finish e2e-shards
