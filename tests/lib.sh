# lib.sh - the small harness the end-to-end scripts share: source it.
# ok/bad count checks; run keeps a command's output in $out and its status in
# $status; expect matches $out against an extended regex; finish prints the
# closing "N passed, N failed" line and sets the exit status.
pass=0; fail=0
ok()  { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; shift; for l in "$@"; do echo "$l" | head -40 | sed 's/^/     /'; done; }

# run NAME EXPECTED_STATUS CMD...
run() {
    local name=$1 want=$2; shift 2
    out=$("$@" 2>&1); status=$?
    if [ "$status" -ne "$want" ]; then bad "$name: exit $status, wanted $want" "$out"; return 1; fi
    return 0
}
expect() {
    if grep -Eq -- "$2" <<<"$out"; then ok "$1"; else bad "$1: no match for /$2/" "$out"; fi
}
# same NAME A B: two texts are equal
same() {
    if [ "$2" = "$3" ]; then ok "$1"; else bad "$1" "$(diff <(echo "$2") <(echo "$3") | head -20)"; fi
}
# ge NAME VALUE MIN: a number at least MIN
ge() {
    if awk -v a="${2:-x}" -v b="$3" 'BEGIN { exit !(a ~ /^[0-9.eE+-]+$/ && a + 0 >= b + 0) }'; then ok "$1 ($2 >= $3)"
    else bad "$1: '${2}' is not >= $3"; fi
}
finish() {
    echo "$1: $pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}
