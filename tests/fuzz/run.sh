#!/usr/bin/env bash
# run.sh BUILD_DIR SECONDS TARGET... - seed the corpora and run each libFuzzer
# target for SECONDS, all at once (make fuzz). Corpora grow in
# BUILD_DIR/corpus/TARGET; crashes are saved as tests/fuzz/crashes/TARGET-*.
set -u
cd "$(dirname "$0")/../.."
B=$1 SECS=$2; shift 2
C=$B/corpus
mkdir -p tests/fuzz/crashes "$C/config" "$C/idx"

# config: every YAML file of the repository.
cp configs/*.yaml tests/configs/*.yaml tests/bad_yaml/*.yaml "$C/config/" 2>/dev/null
# idx: a small generated set, raw and gzip'd, as is (first byte 0) and to be
# compressed by the target (first byte 1), plus a few broken headers.
S=$B/idx-seed; rm -rf "$S"; mkdir -p "$S"
"$B/gen_data" "$S/raw" 16 4 >/dev/null && "$B/gen_data" "$S/gz" 16 4 gz >/dev/null || exit 1
for f in "$S"/raw/* "$S"/gz/*; do
    n=$(basename "$(dirname "$f")")-$(basename "$f")
    { printf '\0'; cat "$f"; } > "$C/idx/0-$n"
    case $f in *.gz) ;; *) { printf '\1'; cat "$f"; } > "$C/idx/1-$n" ;; esac
done
printf '\0\0\0\x08\x01\0\0\0\x03abc' > "$C/idx/raw-1d"
printf '\0\0\0\x08\x03\0\0\0\x02\0\0\0\x02\0\0\0\x02abcdefgh' > "$C/idx/raw-3d"
printf '\0\0\0\x09\x01\0\0\0\x01a' > "$C/idx/bad-type"
printf '\0\0\0\x08\x05' > "$C/idx/bad-ndim"
printf '\0\0\0\x08\x01\xff\xff\xff\xff' > "$C/idx/huge-dim"
printf '\0\x1f\x8b' > "$C/idx/gz-magic-only"

pids=()
for t in "$@"; do
    dict=(); [ "$t" = config ] && [ -f tests/fuzz/yaml.dict ] && dict=(-dict=tests/fuzz/yaml.dict)
    "$B/fuzz_$t" "$C/$t" "${dict[@]}" -max_len=65536 -max_total_time="$SECS" -timeout=25 \
        -rss_limit_mb=2560 -print_final_stats=1 -artifact_prefix="tests/fuzz/crashes/$t-" \
        > "$B/fuzz_$t.log" 2>&1 &
    pids+=($!)
done
st=0
for i in "${!pids[@]}"; do
    t=${*:i+1:1}
    if wait "${pids[$i]}"; then r=ok; else r=FAILED; st=1; fi
    echo "== fuzz_$t: $r ($B/fuzz_$t.log)"
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' "$B/fuzz_$t.log"
    [ $r = ok ] || grep -E 'ERROR|runtime error|SUMMARY|Test unit written' "$B/fuzz_$t.log" | head -20
done
exit $st
