# history.gp: optimisation history. Left: each finished run's best
# validation accuracy (%) against the seconds since the sweep's first run
# started, when it finished; right: the same against trial number. The line
# is the best so far; pruned runs are orange crosses, completed runs blue
# dots (diverged and failed runs have no accuracy and are not drawn).
#
# Reads DATADIR/meta.gp, DATADIR/history_time.tsv, DATADIR/history_trial.tsv.
#   gnuplot -e "datadir='DIR'; out='history.png'" plots/history.gp
reset
_ls(s, i) = i < 1 ? 0 : s[i:i] eq '/' ? i : _ls(s, i - 1)
load ARG0[1:_ls(ARG0, strlen(ARG0))] . 'common.gp'

_ft = dpath('history_time.tsv')
_fk = dpath('history_trial.tsv')
if (!exists("nhistory") || nhistory == 0) {
    if (exists("panel")) { set title 'optimisation history' } else { set title sweeptitle('optimisation history') }
    _msg = 'no run finished yet'
    eval PLACEHOLDER
} else {
    stats _fk using 2 nooutput
    _lo = STATS_min; _hi = STATS_max
    _pad = (_hi - _lo) * 0.05 + 0.05
    set yrange [_lo - _pad : _hi + _pad]
    set ylabel 'best validation accuracy (%)'
    set key bottom right
    set grid
    if (!exists("panel")) { set multiplot layout 1, 2 title sweeptitle('optimisation history') }
    set title 'against wall time'
    set xlabel 'seconds since the sweep started'
    plot _ft using 1:(column(3) == 0 ? column(2) : NaN) with points pt 7 ps 0.8 lc rgb '#1f77b4' title 'completed', \
         _ft using 1:(column(3) == 1 ? column(2) : NaN) with points pt 2 ps 0.9 lc rgb '#ff7f0e' title 'pruned', \
         _ft using 1:4 with steps lw 2 lc rgb '#2ca02c' title 'best so far'
    if (!exists("panel")) {
        set title 'against trial number'
        set xlabel 'trial'
        plot _fk using 1:(column(3) == 0 ? column(2) : NaN) with points pt 7 ps 0.8 lc rgb '#1f77b4' title 'completed', \
             _fk using 1:(column(3) == 1 ? column(2) : NaN) with points pt 2 ps 0.9 lc rgb '#ff7f0e' title 'pruned', \
             _fk using 1:4 with steps lw 2 lc rgb '#2ca02c' title 'best so far'
        unset multiplot
    }
}
