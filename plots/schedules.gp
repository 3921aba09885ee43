# schedules.gp: learning rate per epoch, one line per distinct learning-rate
# curve used by the sweep. Log y axis when the rates span more than a factor
# of 20 and none is 0, linear otherwise.
#
# Reads DATADIR/meta.gp, DATADIR/sched.tsv (see README.md).
#   gnuplot -e "datadir='DIR'; out='sched.png'" plots/schedules.gp
reset
_ls(s, i) = i < 1 ? 0 : s[i:i] eq '/' ? i : _ls(s, i - 1)
load ARG0[1:_ls(ARG0, strlen(ARG0))] . 'common.gp'

_f = dpath('sched.tsv')
if (exists("panel")) {
    set title 'learning rate schedules'
} else {
    set title sweeptitle('learning rate per epoch')
}
set xlabel 'epoch'

_nrows = 0
if (exists("nsched") && nsched >= 1) { _nb = nsched; eval COUNT_BLOCKS }
if (_nrows == 0) {
    set ylabel 'learning rate'
    _msg = 'no learning-rate schedule recorded'
    eval PLACEHOLDER
} else {
    stats _f using 1 nooutput
    _xmax = _max(STATS_max, 2)
    stats _f using 2 nooutput
    _lo = STATS_min; _hi = STATS_max
    if (_lo > 0 && _hi / _lo > 20) {
        set logscale y
        set yrange [_lo / 1.5 : _hi * 1.5]
        set ylabel 'learning rate (log scale)'
        set format y '%g'
        set mytics 10
    } else {
        # linear: from 0 (learning rates are >= 0) unless a rate is negative
        set yrange [_lo < 0 ? _lo * 1.08 : 0 : _hi > 0 ? _hi * 1.08 : 1]
        set ylabel 'learning rate'
    }
    set xrange [0.5:_xmax + 0.5]
    set xtics epochstep(_xmax, exists("panel") ? 10 : 20)

    _cmd = ''
    do for [i = 0:_nb - 1] {
        if (BC[i + 1] > 0) {
            _cmd = _cmd . sprintf("_f index %d using 1:2 with linespoints lw 2 lc rgb '%s' pt %d ps %s %s, ", \
                                  i, gcols(i), gpt(i), _xmax > 40 ? '0.6 pi 5' : '0.9', \
                                  exists("panel") && _nb > 16 ? 'notitle' : 'title columnheader(1)')
        }
    }
    if (exists("panel")) {
        set key below left horizontal Left reverse font lfont samplen 1.5 spacing 0.9
    } else {
        eval KEY_STANDALONE
    }
    eval 'plot ' . _cmd[1:strlen(_cmd) - 2]
}
