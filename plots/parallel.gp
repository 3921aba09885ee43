# parallel.gp: parallel coordinates of the swept parameters, one line per
# finished run, coloured by its best validation accuracy (red, the worst
# completed run, through yellow to green, the best), with that accuracy as
# the last axis. Pruned runs are grey, under the others. Log axes (values
# spanning 20x or more) show log10 of the value; lists of values show their
# values as categories.
#
# Reads DATADIR/meta.gp, DATADIR/parallel.tsv (see README.md).
#   gnuplot -e "datadir='DIR'; out='parallel.png'" plots/parallel.gp
reset
_ls(s, i) = i < 1 ? 0 : s[i:i] eq '/' ? i : _ls(s, i - 1)
load ARG0[1:_ls(ARG0, strlen(ARG0))] . 'common.gp'

_f = dpath('parallel.tsv')
if (exists("panel")) {
    set title 'swept parameters against validation accuracy'
} else {
    set title sweeptitle('swept parameters against validation accuracy')
}
_n = exists("nparams") ? nparams : 0
if (!exists("nparallel") || nparallel == 0 || _n < 1) {
    _msg = 'no finished run to draw'
    eval PLACEHOLDER
} else {
    _acc = _n + 1          # column of the accuracy, then its colour, then the trial
    _rgb = _n + 2
    unset ytics
    unset border
    unset colorbox
    set grid noxtics noytics
    set style parallelaxis lw 1.5 lc rgb '#404040'
    set label 1 sprintf('colour: best validation accuracy, red %.2f%% to green %.2f%%; grey: pruned', \
                        par_acc_lo, par_acc_hi) at graph 0.5, graph -0.09 center font lfont
    _xt = ''
    do for [i = 1:_n] {
        _name = value(sprintf('param_name_%d', i))
        if (value(sprintf('par_log_%d', i))) { _name = 'log10 ' . _name }
        _xt = _xt . sprintf('"%s" %d, ', qesc(_name), i)
        if (value(sprintf('par_cat_%d', i))) {
            eval sprintf('set paxis %d tics %s', i, value(sprintf('par_tics_%d', i)))
        } else {
            eval sprintf('set paxis %d tics auto format "%%g"', i)
        }
    }
    _xt = _xt . sprintf('"val acc" %d', _n + 1)
    eval 'set xtics (' . _xt . ')'
    set paxis _n + 1 tics auto format '%g'
    set xrange [0.6 : _n + 1.4]
    set bmargin 5
    # one clause per axis (columns by number: an iteration variable inside a
    # using expression would be read after the loop, at its last value)
    plot for [i = 1:_n + 1] _f using i:_rgb with parallelaxes lc rgb variable lw 1.5 notitle
}
