# compare.gp: validation accuracy (%) per epoch of sweep A's best
# configurations (solid lines) and sweep B's (dashed), mean over seeds with
# shaded min-max bands.
#
# Reads DATADIR/meta.gp (name_a, name_b, n_a, n_b) and DATADIR/compare.tsv:
# n_a blocks for A, then n_b blocks for B (see README.md).
#   gnuplot -e "datadir='DIR'; out='compare.png'" plots/compare.gp
reset
_ls(s, i) = i < 1 ? 0 : s[i:i] eq '/' ? i : _ls(s, i - 1)
load ARG0[1:_ls(ARG0, strlen(ARG0))] . 'common.gp'

_f = dpath('compare.tsv')
set title sprintf('%s vs %s: best configurations, validation accuracy', name_a, name_b)
set xlabel 'epoch'
set ylabel 'validation accuracy (%)'

_nrows = 0
_nb = n_a + n_b
if (_nb >= 1) { eval COUNT_BLOCKS }
if (_nrows == 0) {
    _msg = 'nothing to compare'
    eval PLACEHOLDER
} else {
    eval ACC_YRANGE
    set yrange [_ylo:_yhi]
    set xrange [0.5:_xmax + 0.5]
    set xtics epochstep(_xmax, exists("panel") ? 10 : 20)
    set format y '%g'

    _cmd = ''
    do for [i = 0:_nb - 1] {
        if (BC[i + 1] > 0) {
            _cmd = _cmd . sprintf("_f index %d using 1:3:4 with filledcurves fc rgb '%s' fs transparent solid 0.18 notitle, ", i, gcols(i))
        }
    }
    do for [i = 0:_nb - 1] {
        if (BC[i + 1] > 0) {
            _cmd = _cmd . sprintf("_f index %d using 1:2 with linespoints lw 2.5 %s lc rgb '%s' pt %d ps 1 pi 4 title columnheader(1), ", \
                                  i, i < n_a ? 'dt 1' : 'dt (10, 6)', gcols(i), gpt(i))
        }
    }
    _cmd = _cmd . sprintf("keyentry with lines lw 2.5 lc rgb 'black' title 'solid: %s (A)', ", qesc(name_a))
    _cmd = _cmd . sprintf("keyentry with lines lw 2.5 dt (10, 6) lc rgb 'black' title 'dashed: %s (B)', ", qesc(name_b))
    if (exists("panel")) {
        set key below left horizontal Left reverse font lfont samplen 2 spacing 0.9
    } else {
        eval KEY_STANDALONE; set key samplen 4
    }
    eval 'plot ' . _cmd[1:strlen(_cmd) - 2]
}
