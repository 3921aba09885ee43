# overview.gp: one page (1800x1100) with six panels, 2 rows x 3 columns:
#   validation accuracy (curves_acc.gp), losses (curves_loss.gp),
#   test accuracy against parameter 1 (param.gp, param=1),
#   heatmap.gp when heat=1, else param.gp with param=2 when nparams>=2,
#   learning rate schedules (schedules.gp), cost against benefit (cost.gp).
# When a sweep has no swept parameter besides the seed, or one only, a text
# panel with the run counts takes the free place.
# Each chart is loaded with the variable `panel` defined: it then leaves the
# terminal alone, uses smaller fonts and a compact legend (group colours are
# listed under the validation accuracy panel only).
#
# Reads everything the loaded charts read (see README.md).
#   gnuplot -e "datadir='DIR'; out='overview.png'" plots/overview.gp
reset
undefine panel
_ls(s, i) = i < 1 ? 0 : s[i:i] eq '/' ? i : _ls(s, i - 1)
pagew = 1800; pageh = 1100; pagefont = 11
load ARG0[1:_ls(ARG0, strlen(ARG0))] . 'common.gp'
_pfont = pagefont
undefine pagew pageh pagefont
_odir = plotdir

# the panels, in order
_panels = 'curves_acc curves_loss'
_summary = 0
if (nparams >= 1) { _panels = _panels . ' param1' } else { _panels = _panels . ' summary'; _summary = 1 }
if (heat == 1) {
    _panels = _panels . ' heatmap'
} else {
    if (nparams >= 2) { _panels = _panels . ' param2' } else { if (!_summary) { _panels = _panels . ' summary'; _summary = 1 } }
}
_panels = _panels . ' schedules cost'

_counts = sprintf('%d run%s done, %d diverged, %d stopped, %d pruned, %d failed', \
                  ndone, ndone == 1 ? '' : 's', n_diverged, n_stopped, n_pruned, n_failed)
set multiplot layout 2, 3 title sprintf('%s: overview (%s)', sweep, _counts) font sprintf(',%d', _pfont + 5)
panel = 1
panelfont = 10
do for [_p in _panels] {
    if (_p eq 'param1' || _p eq 'param2') {
        param = _p eq 'param1' ? 1 : 2
        load _odir . 'param.gp'
    } else {
        if (_p eq 'summary') {
            reset
            load _odir . 'common.gp'
            _txt = sprintf("%s\n\n%s\n%d configuration group%s (runs that differ only by the seed)", \
                           sweep, _counts, ngroups, ngroups == 1 ? '' : 's')
            if (exists("nseeds_max")) { _txt = _txt . sprintf("\nup to %d seed%s per group", nseeds_max, nseeds_max == 1 ? '' : 's') }
            if (nparams == 0) {
                _txt = _txt . "\nno swept parameter besides the seed"
            } else {
                _txt = _txt . "\nswept parameters:"
                do for [k = 1:nparams] {
                    _txt = _txt . sprintf("\n  %s%s", value(sprintf('param_name_%d', k)), \
                                          value(sprintf('param_cat_%d', k)) ? ' (categorical)' : value(sprintf('param_log_%d', k)) ? ' (log scale)' : '')
                }
            }
            set title 'sweep summary'
            _msg = _txt
            eval PLACEHOLDER
        } else {
            load _odir . _p . '.gp'
        }
    }
}
unset multiplot
undefine panel panelfont param
