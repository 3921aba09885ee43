#!/usr/bin/env bash
# End-to-end test of sweep slurm on a real one-node Slurm cluster
# (tests/slurm/cluster.sh, as root): a 4-task job array plus its merge job
# give the rows of a -j 1 run; a failing task cancels the merge, sweep status
# names the shard, and resubmitting that task alone then merging completes
# the sweep; a task without its data fails with a message in its log.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
ROOT=$PWD
SWEEP=$ROOT/sweep
WORK=$ROOT/build/e2e-slurm
CFG=$ROOT/tests/configs/slurm.yaml
DATA="data.dir=$ROOT/data/mnist"
tests/slurm/cluster.sh stop "$WORK/cluster" 2>/dev/null
rm -rf "$WORK"; mkdir -p "$WORK"
t0=$(date +%s.%N)
tests/slurm/cluster.sh start "$WORK/cluster" || { echo "e2e-slurm: no cluster"; exit 1; }
trap 'tests/slurm/cluster.sh stop "$WORK/cluster"' EXIT
export SLURM_CONF=$WORK/cluster/slurm.conf
echo "cluster up in $(echo "$(date +%s.%N) - $t0" | bc) s"
RUNS="SELECT trial, params, swept, hidden, model, epochs, batch_size, optimizer, momentum, lr_schedule, lr, l2, seed, status, best_epoch, best_val_acc, test_loss, test_acc FROM runs ORDER BY trial"
EPOCHS="SELECT r.trial, e.epoch, e.lr, e.train_loss, e.train_acc, e.val_loss, e.val_acc FROM epochs e JOIN runs r ON r.id = e.run_id ORDER BY r.trial, e.epoch"
q() { sqlite3 "$@"; }
# wait_jobs ID...: until squeue no longer lists them (at most 5 minutes)
wait_jobs() {
    for _ in $(seq 3000); do
        [ -z "$(squeue -h -j "$(IFS=,; echo "$*")" 2>/dev/null)" ] && return 0
        sleep 0.1
    done
    return 1
}
job_state() { scontrol show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | sort -u | tr '\n' ' ' | sed 's/ $//'; }

run "reference: -j 1" 0 $SWEEP $CFG $DATA --db $WORK/ref.db

# The 4-task array and its merge.
mkdir -p $WORK/ok
t1=$(date +%s.%N)
run "sweep slurm --submit" 0 bash -c "cd $WORK/ok && $SWEEP slurm $CFG --tasks 4 $DATA --submit" &&
    expect "submit: job ids" '^submitted: array job [0-9]+ \(4 tasks\), merge job [0-9]+' &&
    expect "submit: how to watch" '^watch: +squeue -j [0-9]+,[0-9]+'
array=$(sed -n 's/^submitted: array job \([0-9]*\).*/\1/p' <<<"$out")
merge=$(sed -n 's/.*merge job \([0-9]*\).*/\1/p' <<<"$out")
if wait_jobs $array $merge; then ok "array $array and merge $merge ended"; else bad "jobs still queued" "$(squeue)"; fi
wall=$(echo "$(date +%s.%N) - $t1" | bc)
echo "array job $array + merge job $merge: ${wall} s from sbatch to the merged database"
same "merge job completed" "$(job_state $merge)" COMPLETED
same "every task completed" "$(job_state ${array})" COMPLETED
M=$WORK/ok/experiments/slurm_grid.db
same "merged runs rows = -j 1" "$(q $WORK/ref.db "$RUNS")" "$(q $M "$RUNS" 2>&1)"
same "merged epochs rows = -j 1" "$(q $WORK/ref.db "$EPOCHS")" "$(q $M "$EPOCHS" 2>&1)"
echo "merged: $(q $M "SELECT count(*) FROM runs") runs, $(q $M "SELECT count(*) FROM epochs") epoch rows"
run "task log" 0 cat $WORK/ok/experiments/slurm_grid/slurm/task-2.log &&
    expect "task log: which task" '^sweep slurm_grid: task 2 of 4 on ' &&
    expect "task log: its shard" 'slurm_grid shard 2/4: 2 trials'
run "status of the shards" 0 $SWEEP status "$WORK/ok/experiments/slurm_grid.shard-*-of-4.db" &&
    expect "status: all done" '^all +8 +0 +0 +0 +0 +0  \(4 databases\)'

# A failing task: shard 2's database is not a database.
mkdir -p $WORK/fail/experiments
echo "not a database" > $WORK/fail/experiments/slurm_grid.shard-2-of-4.db
run "submit with a broken shard" 0 bash -c "cd $WORK/fail && $SWEEP slurm $CFG --tasks 4 $DATA --submit"
array=$(sed -n 's/^submitted: array job \([0-9]*\).*/\1/p' <<<"$out")
merge=$(sed -n 's/.*merge job \([0-9]*\).*/\1/p' <<<"$out")
wait_jobs $array $merge
same "failing task: the merge job is cancelled" "$(job_state $merge)" CANCELLED
same "failing task: no merged database" "$(ls $WORK/fail/experiments/slurm_grid.db 2>&1 | grep -c 'No such')" 1
run "failing task: its log says why" 0 cat $WORK/fail/experiments/slurm_grid/slurm/task-2.log &&
    expect "failing task: message" 'slurm_grid.shard-2-of-4.db is not a SQLite database'
run "status names the failed shard" 1 $SWEEP status "$WORK/fail/experiments/slurm_grid.shard-*-of-4.db" &&
    expect "status: shard 2/4 cannot be read" '^2/4 +.*shard-2-of-4.db is not a SQLite database' &&
    expect "status: the others done" '^3/4 +2 +0 +0 +0 +0 +0 '
rm $WORK/fail/experiments/slurm_grid.shard-2-of-4.db
S=$WORK/fail/experiments/slurm_grid/slurm
re=$(sbatch --parsable --array=2 $S/sweep.sbatch)
merge=$(sbatch --parsable --dependency=afterok:$re --kill-on-invalid-dep=yes $S/merge.sbatch)
wait_jobs $re $merge
same "resubmitted task 2 and merge: completed" "$(job_state $re) $(job_state $merge)" "COMPLETED COMPLETED"
M=$WORK/fail/experiments/slurm_grid.db
same "after the resubmission: runs rows = -j 1" "$(q $WORK/ref.db "$RUNS")" "$(q $M "$RUNS" 2>&1)"
same "after the resubmission: epochs rows = -j 1" "$(q $WORK/ref.db "$EPOCHS")" "$(q $M "$EPOCHS" 2>&1)"

# A folder with a space, a quote and a % in its name: the scripts quote it.
ODD="$WORK/o k'd%r"
mkdir -p "$ODD"
run "odd folder: submit" 0 bash -c 'cd "$1" && "$2" slurm "$3" --tasks 2 "$4" --submit' _ "$ODD" $SWEEP $CFG "$DATA"
array=$(sed -n 's/^submitted: array job \([0-9]*\).*/\1/p' <<<"$out")
merge=$(sed -n 's/.*merge job \([0-9]*\).*/\1/p' <<<"$out")
wait_jobs $array $merge
same "odd folder: array and merge completed" "$(job_state $array) $(job_state $merge)" "COMPLETED COMPLETED"
same "odd folder: merged runs rows = -j 1" "$(q $WORK/ref.db "$RUNS")" "$(q "$ODD/experiments/slurm_grid.db" "$RUNS" 2>&1)"
same "odd folder: task logs where they belong" "$(ls "$ODD/experiments/slurm_grid/slurm" | grep -c '^task-[01].log$')" 2

# A task whose data are missing fails at once, with the fix in its log.
mkdir -p $WORK/nodata
run "scripts for missing data" 0 bash -c "cd $WORK/nodata && $SWEEP slurm $CFG --tasks 2 data.dir=$WORK/nodata/mnist" &&
    expect "missing data: noted when writing" "note: .*nodata/mnist is not there yet"
run "task without data" 3 env SLURM_ARRAY_TASK_ID=1 bash $WORK/nodata/experiments/slurm_grid/slurm/sweep.sbatch &&
    expect "task without data: what to run" "sweep task 1: the mnist data in .*nodata/mnist are missing or do not verify; on a login node run: .*fetch-data.sh mnist .*nodata/mnist - then resubmit this task: sbatch --array=1 "

finish e2e-slurm
