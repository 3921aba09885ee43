# cost.gp: cost against benefit: training seconds (x) against test accuracy
# (%, y) of every finished run, coloured by configuration group (same colours
# and order as curves_acc.gp). Runs that did not finish (diverged, stopped,
# pruned, failed, running, pending) are drawn in a strip along the bottom,
# one row and point type per status, labelled with their trial number; those
# with unknown seconds (0) sit at the left edge.
#
# Reads DATADIR/meta.gp, DATADIR/cost.tsv, DATADIR/cost_other.tsv (see README.md).
#   gnuplot -e "datadir='DIR'; out='cost.png'" plots/cost.gp
reset
_ls(s, i) = i < 1 ? 0 : s[i:i] eq '/' ? i : _ls(s, i - 1)
load ARG0[1:_ls(ARG0, strlen(ARG0))] . 'common.gp'

_f = dpath('cost.tsv')
_fo = dpath('cost_other.tsv')
if (exists("panel")) {
    set title 'cost against benefit (training seconds vs test accuracy)'
} else {
    set title sweeptitle('cost against benefit (training seconds vs test accuracy)')
}
set xlabel 'training time of the run (s)'
set ylabel 'test accuracy (%)'

# rows of cost_other.tsv: meta's nother when written, else the non-done counts
_nother = exists("nother") ? nother : n_diverged + n_stopped + n_pruned + n_failed
_nrows = 0
if (ngroups >= 1) { _nb = ngroups; eval COUNT_BLOCKS }
if (_nrows == 0 && _nother == 0) {
    _msg = 'no run finished yet'
    eval PLACEHOLDER
} else {
    # ranges: x over all known seconds (> 0), y over the finished runs
    _xlo = 1e300; _xhi = -1e300
    _ylo = 0; _yhi = 100
    if (_nrows > 0) {
        stats _f using 1 nooutput
        _xlo = STATS_min; _xhi = STATS_max
        stats _f using 2 nooutput
        _ylo = STATS_min; _yhi = STATS_max
    }
    array SN[7]
    do for [_k = 1:7] { SN[_k] = 0 }
    if (_nother > 0) {
        stats _fo using (SN[st_idx(strcol(2))] = SN[st_idx(strcol(2))] + 1, 1) nooutput
        stats _fo using ($1 > 0 ? $1 : NaN) nooutput
        if (STATS_records > 0) { _xlo = _min(_xlo, STATS_min); _xhi = _max(_xhi, STATS_max) }
    }
    # rank of each unknown-seconds run within its status row (by line order),
    # to spread them along the left edge
    array UR[_max(_nother, 1)]
    array UN[7]
    do for [_k = 1:7] { UN[_k] = 0 }
    if (_nother > 0) {
        stats _fo using ($1 > 0 || $0 >= _nother ? 0 : (UN[st_idx(strcol(2))] = UN[st_idx(strcol(2))] + 1, \
                         UR[int($0) + 1] = UN[st_idx(strcol(2))]), 1) nooutput
    }
    _umax = 1
    do for [_k = 1:7] { _umax = _max(_umax, UN[_k]) }
    _ustep = _min(0.06, 0.85 / _umax)
    if (_xhi < _xlo) { _xlo = 0; _xhi = 1 }
    _xs = _xhi > _xlo ? _xhi - _xlo : _max(abs(_xhi), 1)
    _xl = _xlo - 0.06 * _xs
    _xr = _xhi + 0.06 * _xs
    _ys = _max(_yhi - _ylo, 0.2)
    # one row per status present in the bottom strip
    array SROW[7]
    _nr = 0
    do for [_k = 1:7] { if (SN[_k] > 0) { SROW[_k] = _nr; _nr = _nr + 1 } }
    _ystrip = _nr > 0 ? (0.06 + 0.07 * _nr) * _ys : 0
    set yrange [_ylo - 0.06 * _ys - _ystrip : _yhi + 0.08 * _ys]
    set xrange [_xl : _xr]
    # y tics only over the accuracies, not over the strip
    _raw = _ys / 6
    _mag = 10.0**floor(log10(_raw))
    _ystep = (_raw / _mag < 1.5 ? 1 : _raw / _mag < 3.5 ? 2 : _raw / _mag < 7.5 ? 5 : 10) * _mag
    set ytics ceil((_ylo - 0.05 * _ys) / _ystep) * _ystep, _ystep
    oth_y(s) = _ylo - 0.06 * _ys - _ystrip + (0.05 + 0.07 * (_nr - 1 - SROW[st_idx(s)])) * _ys
    # unknown seconds: at the left edge, spread a little by line order
    oth_x(x, line) = x > 0 || line >= _nother ? x : _xl + (0.01 + _ustep * (UR[int(line) + 1] - 1)) * (_xr - _xl)
    if (_nr > 0) {
        set object 1 rectangle from graph 0, graph 0 to graph 1, first (_ylo - 0.04 * _ys) fc rgb '#f2f2f2' fs solid 1 noborder behind
        set arrow 1 from graph 0, first (_ylo - 0.04 * _ys) to graph 1, first (_ylo - 0.04 * _ys) nohead lc rgb '#909090' dt 2 lw 1
        set label 1 'runs not done (trial numbers; unknown seconds at the left edge)' at graph 0.99, first (_ylo - 0.04 * _ys) \
            right offset 0, -0.7 font lfont tc rgb '#404040'
    }

    _cmd = ''
    do for [i = 0:_nb - 1] {
        if (BC[i + 1] > 0) {
            _cmd = _cmd . sprintf("_f index %d using 1:2 with points pt %d ps 1.7 lc rgb '%s' %s, ", \
                                  i, gpt(i), gcols(i), exists("panel") ? 'notitle' : 'title columnheader(1)')
        }
    }
    do for [s in _st . ' other'] {
        _n = SN[st_idx(s)]
        if (_n > 0) {
            _sel = s eq 'other' ? "st_idx(strcol(2)) == 7" : sprintf("strcol(2) eq '%s'", s)
            _cmd = _cmd . sprintf("_fo using (oth_x($1, $0)):(%s ? oth_y(strcol(2)) : NaN) with points pt %d ps mps lw 1.5 lc rgb '#303030' title '%s (%d)', ", \
                                  _sel, st_open(s), s eq 'other' ? 'other status' : s, _n)
            _cmd = _cmd . sprintf("_fo using (oth_x($1, $0)):(%s ? oth_y(strcol(2)) : NaN):(sprintf('%%d', $3)) with labels left offset 1, 0 font lfont tc rgb '#303030' notitle, ", _sel)
        }
    }
    if (exists("panel")) {
        set key below left horizontal Left reverse font lfont samplen 1 spacing 0.9 height 1
        if (ngroups > 1) { _cmd = _cmd . "keyentry with lines lt nodraw title '(colours: groups as in the validation accuracy panel)', " }
    } else {
        eval KEY_STANDALONE
    }
    eval 'plot ' . _cmd[1:strlen(_cmd) - 2]
}
