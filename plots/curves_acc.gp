# curves_acc.gp: validation accuracy (%) per epoch, one line per configuration
# group (mean over its seeds) with a shaded min-max band when the group has
# more than one run, and a marker at the last completed epoch of each run that
# ended diverged/stopped/pruned/failed.
#
# Reads DATADIR/meta.gp, DATADIR/curves.tsv, DATADIR/markers.tsv (see README.md).
#   gnuplot -e "datadir='DIR'; out='acc.png'" plots/curves_acc.gp
reset
_ls(s, i) = i < 1 ? 0 : s[i:i] eq '/' ? i : _ls(s, i - 1)
load ARG0[1:_ls(ARG0, strlen(ARG0))] . 'common.gp'

_f = dpath('curves.tsv')
_fm = dpath('markers.tsv')
if (exists("panel")) {
    set title 'validation accuracy per epoch (mean, min-max over seeds)'
} else {
    set title sweeptitle('validation accuracy per epoch (mean and min-max over seeds)')
}
set xlabel 'epoch'
set ylabel 'validation accuracy (%)'

_nrows = 0
if (ngroups >= 1) { _nb = ngroups; eval COUNT_BLOCKS }
if (_nrows == 0) {
    _msg = 'no epoch logged yet'
    eval PLACEHOLDER
} else {
    # most runs averaged into one epoch of each group (band only when > 1)
    array BN[_nb]
    do for [_k = 1:_nb] { BN[_k] = 0 }
    stats _f using (valid(11) && column(-2) < _nb ? BN[int(column(-2)) + 1] = _max(BN[int(column(-2)) + 1], $11) : 0, 1) nooutput

    eval ACC_YRANGE
    set xtics epochstep(_xmax, exists("panel") ? 10 : 20)
    set mxtics 1
    set format y '%g'
    # markers below the range (or unknown) sit at the bottom edge
    _ybot = _ylo + 0.015 * (_yhi - _ylo)
    acc_y(v) = fin(v) && v >= _ylo ? _min(v, _yhi) : _ybot

    # statuses present among the markers, and how many are off the range
    array SN[7]
    do for [_k = 1:7] { SN[_k] = 0 }
    _nclamp = 0
    if (nmarkers > 0) {
        stats _fm using (SN[st_idx(strcol(6))] = SN[st_idx(strcol(6))] + 1, \
                         _nclamp = _nclamp + (acc_y(num(3)) == _ybot), 1) nooutput
    }

    # (stats obeys the axis ranges: set them after the last stats)
    set yrange [_ylo:_yhi]
    set xrange [0.5:_xmax + 0.5]

    # the plot command, built element by element (empty blocks are skipped:
    # gnuplot warns when a plotted block holds no point)
    _cmd = ''
    do for [i = 0:_nb - 1] {
        if (BC[i + 1] > 0 && BN[i + 1] > 1) {
            _cmd = _cmd . sprintf("_f index %d using 1:3:4 with filledcurves fc rgb '%s' notitle, ", i, gcols(i))
        }
    }
    do for [i = 0:_nb - 1] {
        if (BC[i + 1] > 0) {
            _cmd = _cmd . sprintf("_f index %d using 1:2 with linespoints lw 2 lc rgb '%s' pt %d ps 0.9 pi 4 %s, ", \
                                  i, gcols(i), gpt(i), exists("panel") && _nb > 12 ? 'notitle' : 'title columnheader(1)')
        }
    }
    do for [s in _st . ' other'] {
        _n = SN[st_idx(s)]
        if (_n > 0) {
            _sel = s eq 'other' ? sprintf("st_idx(strcol(6)) == 7") : sprintf("strcol(6) eq '%s'", s)
            _cmd = _cmd . sprintf("_fm using 2:(%s ? acc_y(num(3)) : NaN):(gcol($1)) with points pt %d ps mps lc rgb variable notitle, ", _sel, st_fill(s))
            _cmd = _cmd . sprintf("_fm using 2:(%s ? acc_y(num(3)) : NaN) with points pt %d ps mps lw 1.5 lc rgb 'black' notitle, ", _sel, st_open(s))
            _cmd = _cmd . sprintf("keyentry with points pt %d ps mps lw 1.5 lc rgb 'black' title '%s run (%d), last epoch', ", st_open(s), s, _n)
        }
    }
    if (_nclamp > 0) {
        set label 1 sprintf('%d marker(s) below the axis range drawn at its bottom edge', _nclamp) \
            at graph 0.01, graph 0.06 left font lfont tc rgb '#404040' front
    }

    if (exists("panel")) {
        set key below left horizontal Left reverse font lfont samplen 1.5 spacing 0.9
    } else {
        eval KEY_STANDALONE
    }
    eval 'plot ' . _cmd[1:strlen(_cmd) - 2]
}
