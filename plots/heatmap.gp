# heatmap.gp: mean test accuracy (%) over seeds for every combination of the
# two swept parameters (heat_x across, heat_y up), viridis colour scale, the
# value written in each cell (2 decimals; "n=N" when fewer runs than
# nseeds_max), the best cell framed. Cells without a finished run stay blank.
#
# Reads DATADIR/meta.gp, DATADIR/heat.tsv (see README.md); needs heat=1.
#   gnuplot -e "datadir='DIR'; out='heat.png'" plots/heatmap.gp
reset
_ls(s, i) = i < 1 ? 0 : s[i:i] eq '/' ? i : _ls(s, i - 1)
load ARG0[1:_ls(ARG0, strlen(ARG0))] . 'common.gp'

_heat = exists("heat") ? heat : 0
if (_heat != 1) {
    if (exists("panel")) { set title 'mean test accuracy (%)' } else { set title sweeptitle('mean test accuracy (%)') }
    _msg = 'no heatmap: it needs exactly two swept parameters besides the seed'
    eval PLACEHOLDER
} else {
    if (exists("panel")) {
        set title sprintf('mean test accuracy (%%) by %s and %s', heat_x, heat_y)
    } else {
        set title sweeptitle(sprintf('mean test accuracy (%%) over seeds by %s and %s', heat_x, heat_y))
    }
    set xlabel heat_x
    set ylabel heat_y
    _f = dpath('heat.tsv')
    if (ndone < 1) {
        _msg = 'no finished run yet'
        eval PLACEHOLDER
    } else {
        # tic labels (columns 4 and 5) by index, at most 200 of each
        array XL[200]
        array YL[200]
        do for [k = 1:200] { XL[k] = ''; YL[k] = '' }
        stats _f using (XL[int($1) + 1] = strcol(4), YL[int($2) + 1] = strcol(5), 1) nooutput
        stats _f using 1 nooutput
        _nx = int(STATS_max) + 1
        stats _f using 2 nooutput
        _ny = int(STATS_max) + 1
        stats _f using 3 nooutput
        _cmin = STATS_min; _cmax = STATS_max
        if (_cmax - _cmin < 0.01) { _cmin = _cmin - 0.5; _cmax = _cmax + 0.5 }
        _best = STATS_max
        stats _f using 6 nooutput
        _nseeds = exists("nseeds_max") ? nseeds_max : STATS_max

        _tics = ''
        do for [k = 1:_nx] { _tics = _tics . sprintf("%s'%s' %d", k > 1 ? ', ' : '', qesc(XL[k]), k - 1) }
        eval 'set xtics (' . _tics . ')'
        _tics = ''
        do for [k = 1:_ny] { _tics = _tics . sprintf("%s'%s' %d", k > 1 ? ', ' : '', qesc(YL[k]), k - 1) }
        eval 'set ytics (' . _tics . ')'
        set tics scale 0
        unset grid
        set border 0
        set xrange [-0.5:_nx - 0.5]
        set yrange [-0.5:_ny - 0.5]

        # viridis
        set palette defined (0 '#440154', 1 '#482878', 2 '#3e4989', 3 '#31688e', 4 '#26828e', \
                             5 '#1f9e89', 6 '#35b779', 7 '#6ece58', 8 '#b5de2b', 9 '#fde725')
        set cbrange [_cmin:_cmax]
        set cblabel 'mean test accuracy (%)'
        set cbtics scale 0.5
        set colorbox vertical default noborder

        # white text on the dark (low) end of viridis, black on the bright end
        txtcol(v) = (v - _cmin) / (_cmax - _cmin) > 0.55 ? 0x000000 : 0xffffff
        celltext(v, n) = n < _nseeds ? sprintf("%.2f\nn=%d", v, n) : sprintf('%.2f', v)
        _vfont = sprintf(',%d', exists("panel") ? fsz : fsz + 3)
        set style fill solid 1 noborder      # (the colour box follows it too)
        unset key
        set label 1 'red frame: highest mean' at graph 1, graph 0 right offset 0, -2.6 font lfont tc rgb '#404040'

        plot _f using 1:2:(0.5):(0.5):3 with boxxyerror fs solid 1 border lc rgb '#ffffff' lw 2 fc palette notitle, \
             _f using 1:2:($3 >= _best ? 0.47 : NaN):(0.47) with boxxyerror fs empty border lc rgb '#e41a1c' fc rgb '#e41a1c' lw 4 \
                notitle, \
             _f using 1:2:(celltext($3, $6)):(txtcol($3)) with labels font _vfont tc rgb variable notitle
    }
}
