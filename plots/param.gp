# param.gp: test accuracy (%) against the values of swept parameter number
# `param` (1..nparams, default 1): mean with mean +- std error bars over the
# seeds, one connected line per combination of the other swept parameters.
# Log x axis when param_log_K=1; categorical x (tic labels from column 7)
# when param_cat_K=1. Points averaged over fewer runs than nseeds_max (or,
# without it in meta.gp, the most runs of any point) are labelled n=N.
#
# Reads DATADIR/meta.gp, DATADIR/param_K.tsv (see README.md).
#   gnuplot -e "datadir='DIR'; param=2; out='p2.png'" plots/param.gp
reset
_ls(s, i) = i < 1 ? 0 : s[i:i] eq '/' ? i : _ls(s, i - 1)
load ARG0[1:_ls(ARG0, strlen(ARG0))] . 'common.gp'

_p = exists("param") ? int(param) : 1
set ylabel 'test accuracy (%)'
if (nparams < 1 || _p < 1 || _p > nparams) {
    if (exists("panel")) { set title 'test accuracy per parameter value' } else { set title sweeptitle('test accuracy per parameter value') }
    _msg = nparams < 1 ? 'no swept parameter besides the seed' : sprintf('no swept parameter number %d (nparams=%d)', _p, nparams)
    eval PLACEHOLDER
} else {
    _name = value(sprintf('param_name_%d', _p))
    _log = value(sprintf('param_log_%d', _p))
    _cat = value(sprintf('param_cat_%d', _p))
    _f = dpath(sprintf('param_%d.tsv', _p))
    if (exists("panel")) {
        set title sprintf('test accuracy against %s (mean ± std)', _name)
    } else {
        set title sweeptitle(sprintf('test accuracy against %s (mean ± std over seeds)', _name))
    }
    set xlabel _name . (_log && !_cat ? ' (log scale)' : '')

    stats _f using (1) nooutput
    _nb = STATS_blocks
    eval COUNT_BLOCKS
    if (_nrows == 0) {
        _msg = 'no finished run yet'
        eval PLACEHOLDER
    } else {
        # x values and their tic labels (column 7), at most 200 distinct ones
        array XV[200]
        array XL[200]
        _nx = 0
        _findx(x, k) = k > _nx ? 0 : XV[k] == x ? k : _findx(x, k + 1)
        _addx(x, l) = _findx(x, 1) > 0 || _nx >= 200 ? 0 : (_nx = _nx + 1, XV[_nx] = x, XL[_nx] = l, 1)
        stats _f using (valid(1) ? _addx($1, strcol(7)) : 0, 1) nooutput
        stats _f using 1 nooutput
        _xlo = STATS_min; _xhi = STATS_max
        stats _f using 6 nooutput
        _nseeds = exists("nseeds_max") ? nseeds_max : STATS_max
        stats _f using ($2 - (_sd = num(3), fin(_sd) ? _sd : 0)) nooutput
        _ylo = STATS_min
        stats _f using ($2 + (_sd = num(3), fin(_sd) ? _sd : 0)) nooutput
        _yhi = STATS_max
        _yspan = _max(_yhi - _ylo, 0.2)
        set yrange [_ylo - 0.12 * _yspan : _yhi + 0.15 * _yspan]

        # x axis and the sideways shift of line k (so error bars don't overlap)
        _sh = _nb > 1 ? 1.0 / (_nb - 1) : 0      # k*_sh - 0.5 in [-0.5, 0.5]
        if (_cat) {
            set xrange [-0.5:_xhi + 0.5]
            _d = _min(0.3, 0.12 * _nb)
            xpos(x, k) = x + (k * _sh - 0.5) * _d
        } else {
            if (_log && _xlo > 0) {
                set logscale x
                _r = _xhi > _xlo ? log(_xhi / _xlo) : log(10)
                set xrange [_xlo * exp(-0.08 * _r) : _xhi * exp(0.08 * _r)]
                _d = 0.025 * _r
                xpos(x, k) = x * exp((k * _sh - 0.5) * _d)
            } else {
                _r = _xhi > _xlo ? _xhi - _xlo : _max(abs(_xlo), 1)
                set xrange [_xlo - 0.08 * _r : _xhi + 0.08 * _r]
                _d = 0.025 * _r
                xpos(x, k) = x + (k * _sh - 0.5) * _d
            }
        }
        # tics at the swept values, labelled as the C side wrote them
        if (_cat || _nx <= 15) {
            _tics = ''
            do for [k = 1:_nx] { _tics = _tics . sprintf("%s'%s' %.15g", k > 1 ? ', ' : '', qesc(XL[k]), XV[k]) }
            eval 'set xtics (' . _tics . ')'
            if (!_cat) { set mxtics default }
        }
        set grid noxtics

        _cmd = ''
        do for [k = 0:_nb - 1] {
            if (BC[k + 1] > 0) {
                _cmd = _cmd . sprintf("_f index %d using (xpos($1, %d)):2:(_sd = num(3), fin(_sd) ? _sd : 0) with yerrorlines lw 2 lc rgb '%s' pt %d ps 1.4 %s, ", \
                                      k, k, gcols(k), gpt(k), _nb > 1 ? 'title columnheader(1)' : 'notitle')
                _cmd = _cmd . sprintf("_f index %d using (xpos($1, %d)):2:($6 < _nseeds ? sprintf('n=%%d', $6) : '') with labels left offset 0.8, 0.6 font lfont tc rgb '%s' notitle, ", \
                                      k, k, gcols(k))
            }
        }
        if (exists("panel")) {
            set key below left horizontal Left reverse font lfont samplen 1.5 spacing 0.9 height 1
        } else {
            eval KEY_STANDALONE
        }
        eval 'plot ' . _cmd[1:strlen(_cmd) - 2]
    }
}
