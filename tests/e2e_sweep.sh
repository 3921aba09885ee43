#!/usr/bin/env bash
# End-to-end tests of sweeps on generated data: grid and random expansion,
# -j 2 against -j 1, resume after SIGKILL, SIGINT, two processes sharing one
# database, report.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
SWEEP=${SWEEP:-./sweep}
WORK=build/e2e-sweep
rm -rf "$WORK"; mkdir -p "$WORK"
build/gen_data "$WORK/data" 3000 300 || { echo "gen_data failed"; exit 1; }
build/gen_data "$WORK/big" 30000 300 || { echo "gen_data failed"; exit 1; }
GRID=tests/configs/tiny_grid.yaml
# What must not depend on -j, timing or interruptions.
RUNS="SELECT trial, params, swept, hidden, epochs, batch_size, optimizer, momentum, lr_schedule, lr, l2, seed, status, best_epoch, best_val_acc, test_loss, test_acc FROM runs ORDER BY trial"
EPOCHS="SELECT r.trial, e.epoch, e.lr, e.train_loss, e.train_acc, e.val_loss, e.val_acc FROM epochs e JOIN runs r ON r.id = e.run_id ORDER BY r.trial, e.epoch"
q() { sqlite3 "$@"; }

run "dry run" 0 $SWEEP $GRID --dry-run && expect "dry run: 6 trials" '^tiny_grid: 6 trials' &&
    expect "dry run: first parameter slowest" '^ +1 +lr.initial=0.01 seed=2$' &&
    expect "dry run: last trial" '^ +5 +lr.initial=0.05 seed=3$'

run "grid -j 1" 0 $SWEEP $GRID --db $WORK/j1.db -j 1 && expect "grid -j 1: summary" '^ +[0-9] +done'
same "grid -j 1: 6 runs done" "$(q $WORK/j1.db "SELECT count(*) FROM results")" 6
same "grid -j 1: 24 epoch rows" "$(q $WORK/j1.db "SELECT count(*) FROM epochs")" 24
run "grid -j 2" 0 $SWEEP $GRID --db $WORK/j2.db -j 2
same "-j 2 gives the same runs rows as -j 1" "$(q $WORK/j1.db "$RUNS")" "$(q $WORK/j2.db "$RUNS")"
same "-j 2 gives the same epochs rows as -j 1" "$(q $WORK/j1.db "$EPOCHS")" "$(q $WORK/j2.db "$EPOCHS")"
same "params is JSON with the swept value" \
    "$(q $WORK/j1.db "SELECT json_extract(params, '\$.train.lr.initial') || ' ' || json_extract(swept, '\$.\"train.seed\"') FROM runs WHERE trial = 5")" "0.05 3"
run "sqlite3 query from the README" 0 q $WORK/j1.db "SELECT lr, lr_schedule, avg(test_acc) FROM results GROUP BY 1,2 ORDER BY 3 DESC" &&
    expect "the query answers" '^0\.0[15]\|cosine\|'

run "report" 0 $SWEEP report $WORK/j1.db && expect "report: counts" '6 trials: 6 done' &&
    expect "report: configurations over seeds" '^ +3 +[0-9.]+ \+- [0-9.]+ .*lr.initial=0.0[15]$' &&
    expect "report: per parameter" '^train.lr.initial' && expect "report: per value" '^  0.01 +[0-9.]+% \+- [0-9.]+  \(3 runs\)'
run "report of a missing database" 2 $SWEEP report $WORK/none.db && expect "report: missing db message" 'no such database'

# Random search: reproducible from sweep.seed; values within their ranges.
run "random" 0 $SWEEP tests/configs/tiny_random.yaml --db $WORK/r1.db
run "random again" 0 $SWEEP tests/configs/tiny_random.yaml --db $WORK/r2.db
same "random: same trials from the same seed" "$(q $WORK/r1.db "SELECT swept FROM runs ORDER BY trial")" "$(q $WORK/r2.db "SELECT swept FROM runs ORDER BY trial")"
same "random: values in range" "$(q $WORK/r1.db "SELECT count(*) FROM runs WHERE lr BETWEEN 0.001 AND 0.3 AND momentum BETWEEN 0 AND 0.9 AND batch_size BETWEEN 16 AND 64 AND hidden IN ('16', '32-16')")" 5
run "random, other seed" 0 $SWEEP tests/configs/tiny_random.yaml --db $WORK/r3.db sweep.seed=12
if [ "$(q $WORK/r1.db "SELECT swept FROM runs ORDER BY trial")" != "$(q $WORK/r3.db "SELECT swept FROM runs ORDER BY trial")" ]; then
    ok "random: another seed, other trials"; else bad "random: sweep.seed=12 drew the same trials"; fi

# SIGKILL at random moments, then the same command: every trial done once,
# the same rows as an uninterrupted run, no duplicate epochs, intact file.
# 24 trials (12 rounds of 2), killed after 2-6% and 10-13% of the
# uninterrupted run's time in turn: mid-trial and after a round. Ten kills add
# up to less than the run, so the sweep cannot finish before them (with 6
# trials and fixed 0.1-0.5 s sleeps it once ended after 7), yet trials end
# between kills.
BIG="data.dir=$WORK/big data.validation=2000 train.epochs=6"
SEEDS12="sweep.parameters.train.seed=[1,2,3,4,5,6,7,8,9,10,11,12]"
t0=$(date +%s%N)
run "reference for the kill test" 0 $SWEEP $GRID --db $WORK/ref.db $BIG "$SEEDS12" -j 2
ref_ms=$((($(date +%s%N) - t0) / 1000000))
kills=0
for i in $(seq 20); do
    [ $kills -ge 10 ] && break
    wait_s=$(awk -v r=$RANDOM -v ms=$ref_ms -v i=$i 'BEGIN { f = i % 2 ? 0.02 + 0.04 * r / 32768 : 0.10 + 0.03 * r / 32768
        printf "%.3f", f * ms / 1000 }')
    $SWEEP $GRID --db $WORK/kill.db $BIG "$SEEDS12" -j 2 >/dev/null 2>&1 &
    pid=$!
    sleep "$wait_s"
    kill -9 $pid 2>/dev/null && kills=$((kills + 1))
    wait $pid 2>/dev/null
    sleep 0.1  # the workers die with their parent
done
ge "SIGKILL at random moments" "$kills" 10
ge "SIGKILL at random moments: trials ended between kills" "$(q $WORK/kill.db "SELECT count(*) FROM runs WHERE status = 'done'")" 1
run "resume after $kills SIGKILLs" 0 $SWEEP $GRID --db $WORK/kill.db $BIG "$SEEDS12" -j 2
same "resume: every trial done exactly once" "$(q $WORK/kill.db "SELECT count(*), count(DISTINCT trial) FROM runs WHERE status = 'done'")" "24|24"
same "resume: no duplicate epoch rows" "$(q $WORK/kill.db "SELECT count(*) FROM (SELECT run_id, epoch FROM epochs GROUP BY 1, 2 HAVING count(*) > 1)")" 0
same "resume: same rows as an uninterrupted run" "$(q $WORK/ref.db "$EPOCHS")" "$(q $WORK/kill.db "$EPOCHS")"
same "resume: integrity_check" "$(q $WORK/kill.db "PRAGMA integrity_check")" ok
before=$(q $WORK/kill.db "SELECT group_concat(finished_at) FROM runs")
run "resume: a finished sweep" 0 $SWEEP $GRID --db $WORK/kill.db $BIG "$SEEDS12" -j 2 && expect "finished sweep: nothing to train" '0 to train'
same "finished sweep: no trial trained again" "$(q $WORK/kill.db "SELECT group_concat(finished_at) FROM runs")" "$before"

# Early termination (ASHA): a trial stopped at a rung ends `pruned` with its
# epochs; decisions wait for exactly the earlier results they use, so they
# are the same with other timings, with -j 1, and after SIGKILLs.
ASHA=tests/configs/tiny_asha.yaml
SWEEP_TEST_EPOCH_DELAY=1 run "asha -j 2" 0 $SWEEP $ASHA --db $WORK/a1.db -j 2
ge "asha: some trials pruned" "$(q $WORK/a1.db "SELECT count(*) FROM runs WHERE status = 'pruned'")" 5
ge "asha: some pruned at a later rung" "$(q $WORK/a1.db "SELECT count(*) FROM runs r WHERE status = 'pruned' AND (SELECT count(*) FROM epochs WHERE run_id = r.id) = 2")" 1
same "asha: pruned runs keep their epochs, no test pass" "$(q $WORK/a1.db "SELECT count(*) FROM runs r WHERE status = 'pruned' AND (test_acc IS NOT NULL OR NOT EXISTS (SELECT 1 FROM epochs WHERE run_id = r.id))")" 0
SWEEP_TEST_EPOCH_DELAY=2 run "asha -j 2, other delays" 0 $SWEEP $ASHA --db $WORK/a2.db -j 2
same "asha: same decisions whatever the timing" "$(q $WORK/a1.db "$RUNS")" "$(q $WORK/a2.db "$RUNS")"
same "asha: same epochs whatever the timing" "$(q $WORK/a1.db "$EPOCHS")" "$(q $WORK/a2.db "$EPOCHS")"
run "asha -j 1" 0 $SWEEP $ASHA --db $WORK/a3.db -j 1
same "asha: -j 1 decides as -j 2" "$(q $WORK/a1.db "$RUNS")" "$(q $WORK/a3.db "$RUNS")"
run "asha: report counts pruned" 0 $SWEEP report $WORK/a1.db && expect "asha: report counts pruned" "[0-9]+ pruned" && expect "asha: report says what pruning saved" "early termination: 51 epochs not trained"
# kill_often CONFIG DB MIN MAX: start the sweep (with artificial delays) and
# SIGKILL it after MIN..MAX tenths of a second, 5 times; sets $kills.
kill_often() {
    kills=0
    for i in $(seq 20); do
        [ $kills -ge 5 ] && break
        SWEEP_TEST_EPOCH_DELAY=3 $SWEEP "$1" --db "$2" -j 2 >/dev/null 2>&1 &
        pid=$!
        sleep "0.$((RANDOM % ($4 - $3 + 1) + $3))"
        kill -9 $pid 2>/dev/null && kills=$((kills + 1))
        wait $pid 2>/dev/null
        sleep 0.1
    done
}
kill_often $ASHA $WORK/akill.db 1 4
run "asha: resume after $kills SIGKILLs" 0 $SWEEP $ASHA --db $WORK/akill.db -j 2
same "asha: resumed sweep decides as an uninterrupted one" "$(q $WORK/a1.db "$RUNS")" "$(q $WORK/akill.db "$RUNS")"
same "asha: resumed sweep, same epochs" "$(q $WORK/a1.db "$EPOCHS")" "$(q $WORK/akill.db "$EPOCHS")"

for es in "{type: median, warmup_epochs: 1, startup_trials: 2}" "{type: hyperband, min_epochs: 1, reduction: 2}"; do
    name=$(sed 's/{type: \([a-z]*\).*/\1/' <<<"$es")
    SWEEP_TEST_EPOCH_DELAY=1 run "$name -j 2" 0 $SWEEP $ASHA --db $WORK/$name-1.db -j 2 "sweep.early_stop=$es"
    SWEEP_TEST_EPOCH_DELAY=2 run "$name -j 2, other delays" 0 $SWEEP $ASHA --db $WORK/$name-2.db -j 2 "sweep.early_stop=$es"
    ge "$name: some trials pruned" "$(q $WORK/$name-1.db "SELECT count(*) FROM runs WHERE status = 'pruned'")" 3
    same "$name: same decisions whatever the timing" "$(q $WORK/$name-1.db "$RUNS")" "$(q $WORK/$name-2.db "$RUNS")"
done

# TPE: each trial after the start-up ones is chosen from the results of the
# trials that ended before it on the virtual clock (the rest counted as
# running), so the search is the same whatever the timing, and after SIGKILLs.
TPE=tests/configs/tiny_tpe.yaml
SWEEP_TEST_EPOCH_DELAY=1 run "tpe -j 2" 0 $SWEEP $TPE --db $WORK/t1.db -j 2
same "tpe: 16 trials ended" "$(q $WORK/t1.db "SELECT count(*) FROM runs WHERE status IN ('done', 'pruned')")" 16
SWEEP_TEST_EPOCH_DELAY=2 run "tpe -j 2, other delays" 0 $SWEEP $TPE --db $WORK/t2.db -j 2
same "tpe: same suggestions and decisions whatever the timing" "$(q $WORK/t1.db "$RUNS")" "$(q $WORK/t2.db "$RUNS")"
for d in 3 4 5; do
    SWEEP_TEST_EPOCH_DELAY=$d run "tpe -j 2, delays $d" 0 $SWEEP $TPE --db $WORK/t-d$d.db -j 2
    same "tpe: delays $d, the same search" "$(q $WORK/t1.db "$RUNS")" "$(q $WORK/t-d$d.db "$RUNS")"
done
sed -e 's/method: tpe/method: random/' -e '/startup_trials/d' $TPE > $WORK/tiny_random_of_tpe.yaml
run "tpe as random search" 0 $SWEEP $WORK/tiny_random_of_tpe.yaml --db $WORK/t3.db -j 2
same "tpe: start-up trials are random search's" "$(q $WORK/t1.db "SELECT swept FROM runs WHERE trial < 5 ORDER BY trial")" "$(q $WORK/t3.db "SELECT swept FROM runs WHERE trial < 5 ORDER BY trial")"
if [ "$(q $WORK/t1.db "SELECT swept FROM runs WHERE trial >= 5 ORDER BY trial")" != "$(q $WORK/t3.db "SELECT swept FROM runs WHERE trial >= 5 ORDER BY trial")" ]; then
    ok "tpe: later trials are its own"; else bad "tpe: later trials equal random search's"; fi
kill_often $TPE $WORK/tkill.db 2 7
run "tpe: resume after $kills SIGKILLs" 0 $SWEEP $TPE --db $WORK/tkill.db -j 2
same "tpe: resumed search, same trials and results" "$(q $WORK/t1.db "$RUNS")" "$(q $WORK/tkill.db "$RUNS")"

# A sweep ends at its target or when its time budget is spent; what was in
# flight is stopped (the same command trains it again).
run "target" 0 $SWEEP $TPE --db $WORK/tg.db -j 2 -v 'sweep.target={metric: val_acc, value: 0.3}' &&
    expect "target: says so" 'reached the target'
same "target: one run reached it and is done" "$(q $WORK/tg.db "SELECT count(*) FROM runs r WHERE status = 'done' AND (SELECT max(val_acc) FROM epochs WHERE run_id = r.id) >= 0.3")" 1
same "target: nothing claimed after it" "$(q $WORK/tg.db "SELECT count(*) FROM runs WHERE status IN ('pending', 'running')")" "$(q $WORK/tg.db "SELECT count(*) FROM runs WHERE status = 'pending'")"
# 400 trials: far more than 0.5 s of work on any machine (16 took 0.44 s).
run "budget" 0 $SWEEP $TPE --db $WORK/bg.db -j 2 -v 'sweep.budget={seconds: 0.5}' sweep.trials=400 data.dir=$WORK/big &&
    expect "budget: says so" 'budget of 0.5 s is spent'
same "budget: no run left running" "$(q $WORK/bg.db "SELECT count(*) FROM runs WHERE status = 'running'")" 0
ge "budget: runs in flight stopped" "$(q $WORK/bg.db "SELECT count(*) FROM runs WHERE status = 'stopped'")" 1

# SIGINT: the runs in flight are marked stopped, exit status 130, and the
# next run finishes them.
$SWEEP $GRID --db $WORK/int.db $BIG -j 2 >/dev/null 2>&1 &
pid=$!
for _ in $(seq 50); do
    [ "$(q $WORK/int.db "SELECT count(*) FROM epochs" 2>/dev/null)" -gt 0 ] 2>/dev/null && break; sleep 0.1
done
kill -INT $pid; wait $pid; st=$?
same "SIGINT: exit status 130" "$st" 130
same "SIGINT: no run left running" "$(q $WORK/int.db "SELECT count(*) FROM runs WHERE status = 'running'")" 0
n=$(q $WORK/int.db "SELECT count(*) FROM runs WHERE status = 'stopped'")
ge "SIGINT: runs in flight marked stopped" "$n" 1
run "after SIGINT" 0 $SWEEP $GRID --db $WORK/int.db $BIG -j 2
same "after SIGINT: all done" "$(q $WORK/int.db "SELECT count(*) FROM results")" 6

# Two processes on one database share the trials: none is trained twice.
$SWEEP $GRID --db $WORK/two.db $BIG >$WORK/p1.out 2>&1 & p1=$!
$SWEEP $GRID --db $WORK/two.db $BIG >$WORK/p2.out 2>&1 & p2=$!
wait $p1; s1=$?; wait $p2; s2=$?
same "two processes: both succeed" "$s1 $s2" "0 0"
same "two processes: 6 trials done, each once" "$(q $WORK/two.db "SELECT count(*), count(DISTINCT trial) FROM results")" "6|6"
same "two processes: each epoch once" "$(q $WORK/two.db "SELECT count(*) FROM epochs")" 36
c1=$(grep -c . <<<"$(q $WORK/two.db "SELECT DISTINCT claimed_by FROM runs")")
ge "two processes: both trained some trials" "$c1" 2

# Config errors in the sweep section.
printf 'sweep:\n  method: grid\n  parameters:\n    train.lr.initail: [0.1]\n' > $WORK/s1.yaml
run "swept key that does not exist" 2 $SWEEP $WORK/s1.yaml && expect "did-you-mean for swept keys" "s1.yaml:4:5: unknown key 'train.lr.initail'; did you mean 'initial'"
printf 'sweep:\n  method: grid\n  parameters:\n    train.lr.initial: []\n' > $WORK/s2.yaml
run "empty grid" 2 $SWEEP $WORK/s2.yaml && expect "empty grid: place" 's2.yaml:4:23: sweep.parameters.train.lr.initial is an empty list'
printf 'sweep:\n  method: grid\n  parameters:\n    train.lr.initial: [0.1, -1]\n' > $WORK/s3.yaml
run "bad swept value" 2 $SWEEP $WORK/s3.yaml && expect "bad swept value: its place" 's3.yaml:4:29: train.lr.initial must be a number > 0'
printf 'sweep:\n  method: random\n  parameters:\n    train.lr.initial: {min: 0.1, max: 1}\n' > $WORK/s4.yaml
run "random without trials" 2 $SWEEP $WORK/s4.yaml && expect "random without trials" 'sweep.trials is required with method random'
printf 'sweep:\n  method: grid\n  parameters:\n    train.lr: [0.1]\n' > $WORK/s5.yaml
run "sweeping a section with a number" 2 $SWEEP $WORK/s5.yaml && expect "sweeping a section with a number" "s5.yaml:4:16: train.lr must be a mapping of keys, got a number"

# Charts: every one in PNG and SVG, not empty; clear messages without
# gnuplot and for a database with nothing finished.
if command -v gnuplot >/dev/null; then
    run "plot: sweep" 0 $SWEEP tests/configs/tiny_plot.yaml --db $WORK/plot.db -j 2
    same "plot: a run diverged" "$(q $WORK/plot.db "SELECT count(*) FROM runs WHERE status = 'diverged'")" 4
    if run "plot" 0 $SWEEP plot $WORK/plot.db; then
        missing=""
        for chart in curves_acc curves_loss param_train_lr_initial param_train_lr_schedule heatmap schedules cost history parallel overview; do
            for ext in png svg; do
                f=$WORK/plot/plots/$chart.$ext
                [ -s "$f" ] || missing="$missing $chart.$ext"
                grep -qF "$f" <<<"$out" || missing="$missing (path of $chart.$ext not printed)"
            done
        done
        same "plot: every chart as PNG and SVG" "${missing:-none}" none
        [ "$(head -c 8 $WORK/plot/plots/overview.png | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ] &&
            ok "plot: PNG files are PNG" || bad "plot: overview.png is not a PNG"
        grep -q '<svg' $WORK/plot/plots/cost.svg && ok "plot: SVG files are SVG" || bad "plot: cost.svg is not SVG"
        grep -q '^n_diverged = 4$' $WORK/plot/plots/data/meta.gp && [ "$(grep -c diverged $WORK/plot/plots/data/cost_other.tsv)" = 4 ] &&
            ok "plot: diverged runs are counted and marked" || bad "plot: diverged runs not in meta.gp and cost_other.tsv"
        if grep -qiE '(^|[^a-z])nan' $WORK/plot/plots/data/*.tsv; then bad "plot: NaN in the data files"; else ok "plot: no NaN in the data files"; fi
    fi
    run "plot: a TPE sweep with pruned runs" 0 $SWEEP plot $WORK/t1.db -o $WORK/tplot &&
        [ -s $WORK/tplot/history.png ] && [ -s $WORK/tplot/parallel.svg ] &&
        ok "plot: optimisation history and parallel coordinates" || bad "plot: no history or parallel chart for t1.db"
    same "plot: history marks pruned runs" "$(awk -F'\t' 'NR > 1 && $3 == 1' $WORK/tplot/data/history_trial.tsv | wc -l)" "$(q $WORK/t1.db "SELECT count(*) FROM runs WHERE status = 'pruned'")"
    same "plot: parallel coordinates, one line per finished run" "$(grep -c '' $WORK/tplot/data/parallel.tsv)" "$(q $WORK/t1.db "SELECT count(*) FROM runs WHERE status IN ('done', 'pruned')")"
    run "plot -o" 0 $SWEEP plot $WORK/plot.db -o $WORK/elsewhere && [ -s $WORK/elsewhere/cost.png ] &&
        ok "plot -o: charts in the folder given" || bad "plot -o: no $WORK/elsewhere/cost.png"
    run "plot --compare" 0 $SWEEP plot --compare $WORK/plot.db $WORK/j1.db -o $WORK/cmp &&
        [ -s $WORK/cmp/compare.png ] && [ -s $WORK/cmp/compare.svg ] && ok "plot --compare: compare.png and .svg" ||
        bad "plot --compare: no charts" "$out"
    # Nothing finished: a failed run only.
    HUGE="model.hidden=[$(yes 65536 | head -32 | paste -sd, -)]"
    $SWEEP tests/configs/tiny.yaml --db $WORK/empty.db "$HUGE" data.dir=$WORK/data >/dev/null 2>&1
    run "plot: nothing finished" 2 $SWEEP plot $WORK/empty.db && expect "plot: says there is nothing to plot" 'has no finished runs yet'
    [ -e $WORK/empty/plots/curves_acc.png ] && bad "plot: an empty chart was drawn" || ok "plot: no empty chart"
else
    bad "plot: gnuplot is not installed (make deps installs it)"
fi
mkdir -p $WORK/nognuplot
ln -sf "$(command -v sqlite3)" $WORK/nognuplot/sqlite3
run "plot without gnuplot" 2 env PATH=$WORK/nognuplot $SWEEP plot $WORK/j1.db &&
    expect "plot without gnuplot: how to install it" 'gnuplot is not installed; install it with: sudo apt-get install gnuplot-nox'

finish e2e-sweep
