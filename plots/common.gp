# common.gp: shared setup of the sweep charts, loaded by every chart right
# after its `reset` (reset keeps variables and functions but drops styles).
#
# Inputs (variables, all optional):
#   datadir   folder with meta.gp and the *.tsv files (default '.')
#   out       output file; '.svg' -> svg terminal, anything else -> pngcairo.
#             Undefined: gnuplot's current/default terminal (interactive use).
#   panel     defined (by overview.gp): the chart is one panel of a multiplot;
#             terminal and output are left alone and fonts get smaller.
#   pagew, pageh, pagefont   terminal size and base font size (overview.gp
#             sets them; defaults 1200, 800, 13)
#
# Loads DATADIR/meta.gp. Defines: plotdir (this folder, with a trailing '/'
# or ''), dpath(name), fsz/tfont/kfont/lfont (font sizes), mps (status marker
# size), colours gcol(i)/gcols(i) and point types gpt(i) of group i, status
# point types st_open(s)/st_fill(s)/st_idx(s), num(c) and fin(x) for values
# that may be missing, epochstep(), sweeptitle(), qesc(), and the macros
# COUNT_BLOCKS, ACC_YRANGE, KEY_STANDALONE and PLACEHOLDER (used with eval).

set encoding utf8

# ---- where the scripts are ------------------------------------------------
# ARG0 is the path by which gnuplot loaded the current file (for the command
# line script and for `load`), so the folder is everything up to its last '/'.
_lastslash(s, i) = i < 1 ? 0 : s[i:i] eq '/' ? i : _lastslash(s, i - 1)
dirof(p) = p[1:_lastslash(p, strlen(p))]
plotdir = dirof(ARG0)

# ---- data ------------------------------------------------------------------
# the C side writes '?' for a missing or non-finite value
set datafile missing '?'
if (!exists("datadir")) { datadir = '.' }
dpath(name) = datadir . '/' . name
# optional meta keys: forget values left over from another datadir
undefine nother nseeds_max
load dpath('meta.gp')

# ---- terminal ------------------------------------------------------------------
_endswith(s, t) = strlen(s) >= strlen(t) && s[strlen(s) - strlen(t) + 1:] eq t
if (exists("panel")) {
    fsz = exists("panelfont") ? panelfont : 9
} else {
    fsz = exists("pagefont") ? pagefont : 13
    _w = exists("pagew") ? pagew : 1200
    _h = exists("pageh") ? pageh : 800
    if (exists("out")) {
        if (_endswith(out, '.svg') || _endswith(out, '.SVG')) {
            set terminal svg size _w, _h dynamic noenhanced font sprintf('Sans,%d', fsz) background '#ffffff'
        } else {
            set terminal pngcairo size _w, _h noenhanced font sprintf('Sans,%d', fsz) background '#ffffff'
        }
        set output out
    } else {
        # labels come from the data (may hold '_' or '^'): no enhanced text
        set termoption noenhanced
    }
}
tfont = sprintf(',%d', fsz + 2)        # titles
kfont = sprintf(',%d', fsz - 1)        # keys
lfont = sprintf(',%d', fsz - 2)        # small notes
mps = exists("panel") ? 1.6 : 2        # size of the run-status markers

# ---- look ------------------------------------------------------------------
set grid xtics ytics lt 1 lc rgb '#dcdcdc' lw 1
set border 3 lc rgb '#404040'
set tics nomirror out scale 0.6
set title font tfont
set key noenhanced font kfont samplen 2.5 spacing 1.1
set style fill transparent solid 0.2 noborder

# 12 distinguishable colours (Tableau 10 + near-black + medium blue);
# group i (0-based) -> gcol(i), cycling after 12.
array GC[12] = [0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b, \
                0xe377c2, 0x17becf, 0xbcbd22, 0x7f7f7f, 0x1a1a1a, 0x0000cd]
gcol(i) = GC[int(i) % 12 + 1]
gcols(i) = sprintf('#%06x', gcol(i))          # as a string for `lc rgb`
# filled point types to tell lines apart besides the colour
array GP[6] = [7, 5, 9, 11, 13, 15]
# (shifted every 12 groups, so that groups i and i+12 differ by the point)
gpt(i) = GP[(int(i) + int(i) / 12) % 6 + 1]

# run statuses that are not 'done': point types (open shape drawn in black
# over the same filled shape in the group's colour) and legend titles
_st = 'diverged stopped pruned failed running pending'
st_idx(s) = s eq 'diverged' ? 1 : s eq 'stopped' ? 2 : s eq 'pruned' ? 3 : \
            s eq 'failed' ? 4 : s eq 'running' ? 5 : s eq 'pending' ? 6 : 7
array ST_OPEN[7] = [8, 4, 12, 2, 14, 6, 1]
array ST_FILL[7] = [9, 5, 13, 2, 15, 7, 1]
st_open(s) = ST_OPEN[st_idx(s)]
st_fill(s) = ST_FILL[st_idx(s)]

# a number that may be missing ('?') or not finite (nan, inf): NaN instead
# of gnuplot dropping the whole point (as $N would)
num(c) = valid(c) ? column(c) : NaN
fin(x) = (x == x) && abs(x) < 1e300
_max(a, b) = a > b ? a : b
# epoch tics: a 1-2-5 step giving at most about n tics up to x
_nice(r) = (_m = 10.0**floor(log10(r)), r / _m <= 1 ? _m : r / _m <= 2 ? 2 * _m : r / _m <= 5 ? 5 * _m : 10 * _m)
epochstep(x, n) = x <= n ? 1 : int(_nice(x / n))
# chart title "SWEEP: WHAT", on two lines when long (titles are centred over
# the plot area, which an outside key makes narrower)
sweeptitle(what) = strlen(sweep) + strlen(what) > 66 ? sweep . "\n" . what : sweep . ': ' . what
_min(a, b) = a < b ? a : b
# a string for a single-quoted gnuplot string built into an eval'd command
qesc(s) = (_qp = strstrt(s, "'"), _qp == 0 ? s : s[1:_qp] . "'" . qesc(s[_qp + 1:]))

# ---- macros ----------------------------------------------------------------
# COUNT_BLOCKS: with _f (file) and _nb (number of blocks, >= 1) set, fills
# BC[1.._nb] with the number of numeric rows of each block (header lines and
# blank lines do not count), and _keylen to the longest block label. The
# file must hold at least one line (a block header will do): stats warns on
# a file with no lines at all. Run it before setting axis ranges (stats
# obeys them).
COUNT_BLOCKS = "array BC[_nb]; do for [_k = 1:_nb] { BC[_k] = 0 }; \
  stats _f using (valid(1) && column(-2) < _nb ? BC[int(column(-2)) + 1] = BC[int(column(-2)) + 1] + 1 : 0, 1) nooutput; \
  _nrows = 0; do for [_k = 1:_nb] { _nrows = _nrows + BC[_k] }; \
  _keylen = 0; do for [_k = 1:_nb] { if (BC[_k] > 0) { \
    stats _f index (_k - 1) using (_keylen = _max(_keylen, strlen(columnhead(1))), 1) nooutput } }"

# ACC_YRANGE: with _f set to a file of blocks whose columns are 1 epoch,
# 2 mean accuracy %, 3 min, 4 max (curves.tsv, compare.tsv), sets _xmax (last
# epoch, at least 2) and _ylo/_yhi: the interesting upper part of the
# accuracies. Early epochs and dips may leave through the bottom: the lower
# bound is the lower quartile of the means minus 3 inter-quartile ranges
# (never below the lowest band value), rounded down; the top is the highest
# band value plus 4% (at most 100). Needs at least one numeric row.
ACC_YRANGE = "stats _f using 1 nooutput; _xmax = _max(STATS_max, 2); \
  stats _f using 2 nooutput; _q1 = STATS_lo_quartile; _q3 = STATS_up_quartile; _lo = STATS_min; _hi = STATS_max; \
  stats _f using 3 nooutput; _lo = _min(_lo, STATS_min); \
  stats _f using 4 nooutput; _hi = _max(_hi, STATS_max); \
  _ylo = _max(_lo, _q1 - 3 * _max(_q3 - _q1, 0.25)); \
  _ylo = _hi - _ylo < 1 ? _hi - 1 : _ylo; \
  _step = (_hi - _ylo) > 20 ? 5 : (_hi - _ylo) > 5 ? 1 : 0.5; \
  _ylo = _max(0, floor(_ylo / _step) * _step); \
  _yhi = _min(100, _hi + 0.04 * (_hi - _ylo))"

# KEY_STANDALONE: the legend of a chart drawn alone: outside on the right,
# or below the plot when the labels are long (> 44 characters, _keylen from
# COUNT_BLOCKS), so that the plot keeps most of the width.
KEY_STANDALONE = "if (_keylen > 44) { set key below left horizontal Left reverse } \
  else { set key outside right top vertical Left reverse }"

# PLACEHOLDER: an empty frame with the message _msg (when there is nothing
# to draw), so that a panel of the overview is not left blank.
PLACEHOLDER = "unset key; unset border; unset tics; unset grid; \
  unset xlabel; unset ylabel; unset colorbox; set xrange [0:1]; set yrange [0:1]; \
  set label 99 _msg at graph 0.5, 0.5 center font tfont; \
  plot 2 notitle; unset label 99"
