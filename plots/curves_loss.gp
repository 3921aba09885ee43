# curves_loss.gp: training loss (solid) and validation loss (dashed) per
# epoch, log scale, one colour per configuration group (mean over its seeds,
# light min-max bands when a group has more than one run), and a marker at
# the last completed epoch of each run that ended diverged/stopped/pruned/failed.
#
# Reads DATADIR/meta.gp, DATADIR/curves.tsv, DATADIR/markers.tsv (see README.md).
#   gnuplot -e "datadir='DIR'; out='loss.png'" plots/curves_loss.gp
reset
_ls(s, i) = i < 1 ? 0 : s[i:i] eq '/' ? i : _ls(s, i - 1)
load ARG0[1:_ls(ARG0, strlen(ARG0))] . 'common.gp'

_f = dpath('curves.tsv')
_fm = dpath('markers.tsv')
if (exists("panel")) {
    set title 'training (solid) and validation (dashed) loss per epoch'
} else {
    set title sweeptitle('training (solid) and validation (dashed) loss per epoch')
}
set xlabel 'epoch'
set ylabel 'cross-entropy loss (log scale)'

_nrows = 0
if (ngroups >= 1) { _nb = ngroups; eval COUNT_BLOCKS }
if (_nrows == 0) {
    _msg = 'no epoch logged yet'
    eval PLACEHOLDER
} else {
    array BN[_nb]
    do for [_k = 1:_nb] { BN[_k] = 0 }
    stats _f using (valid(11) && column(-2) < _nb ? BN[int(column(-2)) + 1] = _max(BN[int(column(-2)) + 1], $11) : 0, 1) nooutput

    # y range from the positive finite losses of the curves (bands included)
    pos(v) = fin(v) && v > 0 ? v : NaN
    stats _f using 1 nooutput
    _xmax = _max(STATS_max, 2)
    _lo = 1e300; _hi = 0
    do for [c in '5 6 7 8 9 10'] {
        _c = int(c)
        stats _f using (pos(column(_c))) nooutput
        if (STATS_records > 0) { _lo = _min(_lo, STATS_min); _hi = _max(_hi, STATS_max) }
    }
    if (_hi <= 0) { _lo = 0.01; _hi = 1 }
    # markers: statuses present; finite losses up to 100x the curves' maximum
    # widen the range, worse ones (nan, inf) sit at the top edge
    array SN[7]
    do for [_k = 1:7] { SN[_k] = 0 }
    if (nmarkers > 0) {
        stats _fm using (SN[st_idx(strcol(6))] = SN[st_idx(strcol(6))] + 1, 1) nooutput
        _cap = 100 * _hi
        stats _fm using (v = pos(num(4)), v < _cap ? v : NaN) nooutput
        if (STATS_records > 0) { _lo = _min(_lo, STATS_min); _hi = _max(_hi, STATS_max) }
        stats _fm using (v = pos(num(5)), v < _cap ? v : NaN) nooutput
        if (STATS_records > 0) { _lo = _min(_lo, STATS_min); _hi = _max(_hi, STATS_max) }
    }
    _hi = _hi > _lo * 2 ? _hi : _lo * 2
    _ylo = _lo / 1.3; _yhi = _hi * 1.3
    _ytop = _yhi / 1.08
    loss_y(v) = fin(v) && v > 0 ? (v > _ytop ? _ytop : v) : _ytop

    set logscale y
    set yrange [_ylo:_yhi]
    set xrange [0.5:_xmax + 0.5]
    set xtics epochstep(_xmax, exists("panel") ? 10 : 20)
    # tics at 1, 2, 5 times powers of ten
    _tics = ''
    do for [d = floor(log10(_ylo)):ceil(log10(_yhi))] {
        do for [m in '1 2 5'] { _tics = _tics . sprintf('%s%g', strlen(_tics) ? ', ' : '', real(m) * 10.0**d) }
    }
    eval 'set ytics (' . _tics . ')'
    set format y '%g'
    set mytics 10
    set grid mytics
    set grid lt 1 lc rgb '#dcdcdc', lt 1 lc rgb '#f0f0f0'

    _cmd = ''
    do for [i = 0:_nb - 1] {
        if (BC[i + 1] > 0 && BN[i + 1] > 1) {
            _cmd = _cmd . sprintf("_f index %d using 1:6:7 with filledcurves fc rgb '%s' fs transparent solid 0.15 notitle, ", i, gcols(i))
            _cmd = _cmd . sprintf("_f index %d using 1:9:10 with filledcurves fc rgb '%s' fs transparent solid 0.15 notitle, ", i, gcols(i))
        }
    }
    do for [i = 0:_nb - 1] {
        if (BC[i + 1] > 0) {
            _cmd = _cmd . sprintf("_f index %d using 1:5 with lines lw 2 lc rgb '%s' %s, ", \
                                  i, gcols(i), exists("panel") ? 'notitle' : 'title columnheader(1)')
            _cmd = _cmd . sprintf("_f index %d using 1:8 with lines lw 2 dt (10, 6) lc rgb '%s' notitle, ", i, gcols(i))
        }
    }
    _cmd = _cmd . "keyentry with lines lw 2 lc rgb 'black' title 'training loss', "
    _cmd = _cmd . "keyentry with lines lw 2 dt (10, 6) lc rgb 'black' title 'validation loss', "
    do for [s in _st . ' other'] {
        _n = SN[st_idx(s)]
        if (_n > 0) {
            _sel = s eq 'other' ? "st_idx(strcol(6)) == 7" : sprintf("strcol(6) eq '%s'", s)
            do for [c in '4 5'] {
                _cmd = _cmd . sprintf("_fm using 2:(%s ? loss_y(num(%s)) : NaN):(gcol($1)) with points pt %d ps mps lc rgb variable notitle, ", _sel, c, st_fill(s))
                _cmd = _cmd . sprintf("_fm using 2:(%s ? loss_y(num(%s)) : NaN) with points pt %d ps mps lw 1.5 lc rgb 'black' notitle, ", _sel, c, st_open(s))
            }
            _cmd = _cmd . sprintf("keyentry with points pt %d ps mps lw 1.5 lc rgb 'black' title '%s run (%d), last epoch', ", st_open(s), s, _n)
        }
    }

    if (exists("panel")) {
        set key below left horizontal Left reverse font lfont samplen 2 spacing 0.9
        if (ngroups > 1) { _cmd = _cmd . "keyentry with lines lt nodraw title '(colours: groups as in the validation accuracy panel)', " }
    } else {
        eval KEY_STANDALONE; set key samplen 4
    }
    eval 'plot ' . _cmd[1:strlen(_cmd) - 2]
}
