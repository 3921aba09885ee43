#!/usr/bin/env bash
# End-to-end tests of bad input: every broken config under tests/bad_configs/
# (line 1 of each: `# expect: REGEX`, the message after the file name), 1 MB
# lines, bad overrides, broken IDX data, database faults and unsafe sweep
# names. Each must end with exit status 2, nothing on stdout, exactly one line
# on stderr naming the place, and no database created (or none changed).
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
SWEEP=${SWEEP:-./sweep}
WORK=build/e2e-bad
rm -rf "$WORK"; mkdir -p "$WORK"
[ -x $SWEEP ] && [ -x build/gen_data ] || { echo "build first: make sweep build/gen_data"; exit 1; }
build/gen_data "$WORK/data" 1200 300 >/dev/null || { echo "gen_data failed"; exit 1; }
build/gen_data "$WORK/small" 1000 300 >/dev/null || { echo "gen_data failed"; exit 1; }
build/gen_data "$WORK/datagz" 1200 300 gz >/dev/null || { echo "gen_data failed"; exit 1; }
TINY=tests/configs/tiny.yaml

# reject NAME PREFIX REGEX DB CMD...: CMD exits 2 (not a crash), prints nothing
# on stdout and one line on stderr that starts with PREFIX and whose rest
# matches REGEX (anchored at its start); DB (if not "-") is not created.
reject() {
    local name=$1 prefix=$2 re=$3 db=$4; shift 4
    "$@" >"$WORK/stdout" 2>"$WORK/stderr"; local st=$?
    local err lines why=()
    err=$(cat "$WORK/stderr"); lines=$(grep -c '' "$WORK/stderr")
    [ "$st" -ge 128 ] && why+=("crashed: status $st")
    [ "$st" -eq 2 ] || why+=("exit $st, wanted 2")
    [ -s "$WORK/stdout" ] && why+=("stdout not empty: $(head -c 300 "$WORK/stdout")")
    [ "$lines" -eq 1 ] || why+=("$lines lines on stderr, wanted 1")
    case "$err" in
        "$prefix"*) grep -Eq -- "^($re)" <<<"${err#"$prefix"}" || why+=("no match for /$re/ after '$prefix'") ;;
        *) why+=("does not start with '$prefix'") ;;
    esac
    if [ "$db" != - ]; then
        for f in "$db" "$db-wal" "$db-shm" "$db-journal"; do
            [ -e "$f" ] && why+=("$f was created")
        done
    fi
    if [ ${#why[@]} -eq 0 ]; then ok "$name"; else bad "$name" "${why[@]}" "stderr: $(head -c 600 "$WORK/stderr")"; fi
}

# 1. Broken configs, one per file.
n=0
for f in tests/bad_configs/*.yaml; do
    b=$(basename "$f" .yaml); n=$((n + 1))
    re=$(head -n 1 "$f" | sed -n 's/^# expect: //p')
    if [ -z "$re" ]; then bad "config $b: line 1 is not '# expect: REGEX'"; continue; fi
    reject "config $b" "sweep: $f" "$re" "$WORK/cfg-$b.db" $SWEEP "$f" --db "$WORK/cfg-$b.db"
done
ge "bad configs: files" "$n" 32

# 1 MB lines, made here: a name, a key (past libyaml's 1024-character simple
# key limit), a comment before a later error, a list of a million characters,
# a quoted number.
MB=1048576
long() { head -c $MB /dev/zero | tr '\0' "$1"; }
{ printf 'name: '; long a; printf '\n'; } > "$WORK/long_name.yaml"
{ printf 'train:\n  '; long k; printf ': 1\n'; } > "$WORK/long_key.yaml"
{ printf 'train:\n  epochs: 3 # '; long c; printf '\n  batch_size: x\n'; } > "$WORK/long_comment.yaml"
{ printf 'model:\n  hidden: ['; yes 32, | head -c $MB | tr -d '\n'; printf '32]\n'; } > "$WORK/long_list.yaml"
{ printf 'train:\n  seed: "'; long 9; printf '"\n'; } > "$WORK/long_number.yaml"
reject "1 MB line: name" "sweep: $WORK/long_name.yaml" ":1:7: name must be at most 127 characters long, got the string 'a{40}\.\.\.'$" \
    "$WORK/ln.db" $SWEEP "$WORK/long_name.yaml" --db "$WORK/ln.db"
reject "1 MB line: key" "sweep: $WORK/long_key.yaml" ":2:1048579: mapping values are not allowed here" \
    "$WORK/lk.db" $SWEEP "$WORK/long_key.yaml" --db "$WORK/lk.db"
reject "1 MB line: comment, error on the next line" "sweep: $WORK/long_comment.yaml" ":3:15: train\.batch_size must be an integer.*got the string 'x'" \
    "$WORK/lc.db" $SWEEP "$WORK/long_comment.yaml" --db "$WORK/lc.db"
reject "1 MB line: list" "sweep: $WORK/long_list.yaml" ":2:11: model\.hidden must be a list of at most 32 layer sizes" \
    "$WORK/ll.db" $SWEEP "$WORK/long_list.yaml" --db "$WORK/ll.db"
reject "1 MB line: quoted number" "sweep: $WORK/long_number.yaml" ":2:9: train\.seed must be an integer from 0 to 9223372036854775807, got the string '9{40}\.\.\.'$" \
    "$WORK/lq.db" $SWEEP "$WORK/long_number.yaml" --db "$WORK/lq.db"

# Bad overrides: the place is "command line".
CL="sweep: command line"
reject "override: negative epochs" "$CL" ":1:14: train\.epochs must be an integer" "$WORK/o1.db" $SWEEP $TINY --db "$WORK/o1.db" train.epochs=-1
reject "override: empty swept list" "$CL" ":1:29: sweep\.parameters\.train\.seed is an empty list" "$WORK/o2.db" $SWEEP $TINY --db "$WORK/o2.db" 'sweep.parameters.train.seed=[]'
reject "override: unknown key" "$CL" ":1:13: unknown key 'train\.bogus'" "$WORK/o3.db" $SWEEP $TINY --db "$WORK/o3.db" train.bogus=1
reject "override: YAML syntax" "$CL" ": override 'model\.hidden=\[32': column 17: did not find expected ',' or '\]'" "$WORK/o4.db" $SWEEP $TINY --db "$WORK/o4.db" 'model.hidden=[32'
reject "override: NaN" "$CL" ":1:18: train\.lr\.initial must be a number > 0" "$WORK/o5.db" $SWEEP $TINY --db "$WORK/o5.db" train.lr.initial=.nan
reject "override: swept lr <= 0" "$CL" ":1:41: train\.lr\.initial must be a number > 0 and <= 100, got a number \(-1\)" "$WORK/o6.db" \
    $SWEEP $TINY --db "$WORK/o6.db" 'sweep.parameters.train.lr.initial=[0.1, -1]'

# 2. Bad data: tiny.yaml on generated data, broken one way per folder.
D=$WORK/bd; mkdir -p "$D"
mk() { rm -rf "${D:?}/$1"; cp -r "$WORK/data" "$D/$1"; }
TI=train-images-idx3-ubyte; TL=train-labels-idx1-ubyte; SI=t10k-images-idx3-ubyte; SL=t10k-labels-idx1-ubyte
patch() { printf "$2" | dd of="$1" bs=1 seek="${3:-0}" conv=notrunc status=none; }
mk missing_labels; rm "$D/missing_labels/$TL"
mk missing_test; rm "$D/missing_test/$SI"
mk magic; patch "$D/magic/$TI" '\x12\x34\x08\x03'
mk magic_text; printf 'hello world, not idx\n' > "$D/magic_text/$SL"
mk dtype; patch "$D/dtype/$TI" '\x00\x00\x0d\x03'
mk ndim; patch "$D/ndim/$TI" '\x00\x00\x08\x01'
mk trunc_images; head -c 500000 "$WORK/data/$TI" > "$D/trunc_images/$TI"
mk trunc_header; head -c 6 "$WORK/data/$TI" > "$D/trunc_header/$TI"
mk empty; : > "$D/empty/$TL"
mk trailing; printf 'extra' >> "$D/trailing/$TL"
mk huge_dims; patch "$D/huge_dims/$TI" '\x7f\xff\xff\xff' 4
mk zero_dims; patch "$D/zero_dims/$TI" '\x00\x00\x00\x00' 8
mk label_big; patch "$D/label_big/$TL" '\xc8' 20
mk mismatch; cp "$WORK/small/$TL" "$D/mismatch/$TL"
mk test_mismatch; cp "$WORK/data/$TL" "$D/test_mismatch/$SL"
mk dir; rm "$D/dir/$TI"; mkdir "$D/dir/$TI"
mk gz_corrupt; rm "$D/gz_corrupt/$TI"
cp "$WORK/datagz/$TI.gz" "$D/gz_corrupt/$TI.gz"; head -c 64 /dev/zero | dd of="$D/gz_corrupt/$TI.gz" bs=1 seek=2000 conv=notrunc status=none
mk gz_trunc; rm "$D/gz_trunc/$TL"; head -c 300 "$WORK/datagz/$TL.gz" > "$D/gz_trunc/$TL.gz"
mk gz_notgz; rm "$D/gz_notgz/$SL"; echo 'not gzip at all' > "$D/gz_notgz/$SL.gz"

# data CASE FILE REGEX [KEY=VALUE...]: rejected with a message naming the file
data() {
    local c=$1 file=$2 re=$3; shift 3
    reject "data $c" "sweep: $D/$c/$file: " "$re" "$WORK/d-$c.db" $SWEEP $TINY --db "$WORK/d-$c.db" "data.dir=$D/$c" "$@"
    if [ -e "$WORK/d-$c.db" ]; then
        same "data $c: no run left running" "$(sqlite3 "$WORK/d-$c.db" "SELECT count(*) FROM runs WHERE status='running'")" 0
    fi
}
data missing_labels "$TL" "no such file, nor $D/missing_labels/$TL\.gz; run \`make data\`"
data missing_test "$SI" "no such file, nor .*$SI\.gz"
data magic "$TI" "not an IDX file: it starts 12 34 08 03, an IDX file starts 00 00 08 0N \(at byte 0\)"
data magic_text "$SL" "not an IDX file: it starts 68 65 6c 6c"
data dtype "$TI" "unsupported IDX data type 0x0d \(32-bit float\); only 0x08 \(unsigned byte\) is supported \(at byte 2\)"
data ndim "$TI" "939608 extra bytes after the data: the header promises exactly 1208 bytes in all"
data trunc_images "$TI" "truncated: the header promises 940800 data bytes after the 16-byte header but only 499984 are there"
data trunc_header "$TI" "file ends inside the IDX header: 6 bytes, a 3-dimensional header needs 16"
data empty "$TL" "empty file \(0 bytes\), expected an IDX file"
data trailing "$TL" "5 extra bytes after the data"
data huge_dims "$TI" "dimensions too large: the data would pass the 2\^31-byte limit"
data zero_dims "$TI" "dimension 2 of 3 is 0 \(at byte 8\)"
data label_big "$TL" "label 200 of example 12 is not below classes=10 \(at byte 20\)"
data mismatch "$TL" "1000 labels, but $D/mismatch/$TI has 1200 images; the two files must be from the same set"
data test_mismatch "$SL" "1200 labels, but $D/test_mismatch/$SI has 300 images"
data dir "$TI" "is a directory, not an IDX file"
data gz_corrupt "$TI.gz" "corrupt gzip data: incorrect data check \(at byte [0-9]+ of the decompressed data\)"
data gz_trunc "$TL.gz" "gzip stream ends early: the file is truncated"
data gz_notgz "$SL.gz" "not an IDX file: it starts 6e 6f 74 20"
reject "data classes=5: label out of range" "sweep: $WORK/data/$TL: " "label [5-9] of example [0-9]+ is not below classes=5" \
    "$WORK/d-classes.db" $SWEEP $TINY --db "$WORK/d-classes.db" "data.dir=$WORK/data" data.classes=5

# 3. Store faults.
RUN1=($SWEEP $TINY "data.dir=$WORK/data" train.epochs=1)
reject "db: folder does not exist" "sweep: $WORK/nodir/x.db cannot be opened: " "folder $WORK/nodir does not exist" \
    "$WORK/nodir/x.db" "${RUN1[@]}" --db "$WORK/nodir/x.db"
[ -e "$WORK/nodir" ] && bad "db: folder does not exist: it was created" || ok "db: folder does not exist: not created"
mkdir "$WORK/isdir.db"
reject "db: a folder" "sweep: $WORK/isdir.db cannot be opened: " "it is a folder" - "${RUN1[@]}" --db "$WORK/isdir.db"
head -c 3000 /dev/zero | tr '\0' 'J' > "$WORK/junk.db"; printf 'hello text\n' > "$WORK/text.db"
for f in junk text; do
    sum=$(md5sum < "$WORK/$f.db")
    reject "db: not SQLite ($f)" "sweep: $WORK/$f.db " "is not a SQLite database" - "${RUN1[@]}" --db "$WORK/$f.db"
    same "db: not SQLite ($f): file unchanged" "$(md5sum < "$WORK/$f.db")" "$sum"
    [ -e "$WORK/$f.db-wal" ] || [ -e "$WORK/$f.db-journal" ] && bad "db: not SQLite ($f): left a -wal/-journal"
done
sqlite3 "$WORK/foreign.db" 'CREATE TABLE stuff(x); INSERT INTO stuff VALUES (1);'
sqlite3 "$WORK/foreign2.db" 'CREATE TABLE runs(x); INSERT INTO runs VALUES (1);'
for f in foreign foreign2; do
    sum=$(md5sum < "$WORK/$f.db")
    reject "db: foreign tables ($f)" "sweep: $WORK/$f.db " "is a SQLite database but not a sweep database \(tables: [a-z]+\)" - "${RUN1[@]}" --db "$WORK/$f.db"
    same "db: foreign tables ($f): file unchanged" "$(md5sum < "$WORK/$f.db")" "$sum"
    same "db: foreign tables ($f): journal mode unchanged" "$(sqlite3 "$WORK/$f.db" 'PRAGMA journal_mode')" delete
done

# Read-only: as user nobody, on copies in a world-readable temp folder.
if run "good db for the store faults" 0 "${RUN1[@]}" --db "$WORK/good.db" && su nobody -s /bin/bash -c true 2>/dev/null; then
    RO=$(mktemp -d /tmp/e2e-bad-ro.XXXXXX); chmod 755 "$RO"
    cp -r "$WORK/data" "$RO/data"; cp $TINY "$RO/tiny.yaml"
    cp "$WORK/good.db" "$RO/ro.db"; chmod 444 "$RO/ro.db"; chmod -R a+rX "$RO"
    sum=$(md5sum < "$RO/ro.db")
    reject "db: read-only file (as nobody)" "sweep: $RO/ro.db " "is read-only" - \
        su nobody -s /bin/bash -c "$SWEEP $RO/tiny.yaml data.dir=$RO/data train.epochs=2 --db $RO/ro.db"
    same "db: read-only file: unchanged" "$(md5sum < "$RO/ro.db")" "$sum"
    chmod 666 "$RO/ro.db"
    reject "db: writable file in a read-only folder (as nobody)" "sweep: $RO/ro.db " "cannot be written: folder $RO is not writable" - \
        su nobody -s /bin/bash -c "$SWEEP $RO/tiny.yaml data.dir=$RO/data train.epochs=2 --db $RO/ro.db"
    same "db: read-only folder: file unchanged" "$(md5sum < "$RO/ro.db")" "$sum"
    rm -rf "${RO:?}"
else
    echo "skip read-only database checks: su nobody failed"
fi

# Broken data with an existing database: rejected before any trial is claimed.
cp "$WORK/good.db" "$WORK/d-existing.db"; sum=$(sqlite3 "$WORK/d-existing.db" 'SELECT count(*), group_concat(status) FROM runs')
reject "data with an existing db: truncated images" "sweep: $D/trunc_images/$TI: " "truncated: " - \
    $SWEEP $TINY --db "$WORK/d-existing.db" "data.dir=$D/trunc_images" train.epochs=2
same "data with an existing db: no run left running, none added" "$(sqlite3 "$WORK/d-existing.db" 'SELECT count(*), group_concat(status) FROM runs')" "$sum"

# Locked by another process: an exclusive transaction held for 4 s.
cp "$WORK/good.db" "$WORK/lock.db"
(echo 'BEGIN EXCLUSIVE;'; sleep 4) | sqlite3 "$WORK/lock.db" & holder=$!
sleep 0.5
t0=$(date +%s%N)
reject "db: locked by another process" "sweep: $WORK/lock.db " "is locked by another process \(waited 0\.5 s\)" - \
    env SWEEP_BUSY_TIMEOUT_MS=500 "${RUN1[@]}" train.epochs=2 --db "$WORK/lock.db"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -lt 3000 ] && ok "db: locked: gave up after ${ms} ms" || bad "db: locked: waited ${ms} ms"
wait $holder
same "db: locked: no run left running" "$(sqlite3 "$WORK/lock.db" "SELECT count(*) FROM runs WHERE status='running'")" 0
run "db: lock released, the run goes on" 0 env SWEEP_BUSY_TIMEOUT_MS=500 "${RUN1[@]}" train.epochs=2 --db "$WORK/lock.db" &&
    expect "db: lock released: one trial to train" '1 to train'

# 4. Sweep names that would leave experiments/: rejected at their place, with
# no --db, and nothing created anywhere.
snap() { ls -a . .. experiments build 2>/dev/null; ls -d /tmp/evil* /evil* 2>/dev/null; }
before=$(snap)
for f in tests/bad_configs/name_*.yaml; do
    reject "name in file, no --db: $(basename "$f" .yaml)" "sweep: $f:2:7: " "name .*(must start with a letter or digit|must be a non-empty string)" - $SWEEP "$f"
done
for v in ../evil '../../evil' 'a;b' "a'b" 'a"b' /tmp/evil .. 'x/../../evil'; do
    reject "name override, no --db: $v" "sweep: command line:1:6: " "name '.*' must start with a letter or digit" - $SWEEP $TINY "name=$v" "data.dir=$WORK/data"
done
same "names: nothing created" "$(snap)" "$before"

# Wrong image size for the model: the network's input is built from the
# training images (28x28); test images of 32x32 cannot go through it.
mkdir -p $WORK/size
cp $WORK/data/train-* $WORK/size/
cp $WORK/data/t10k-labels-idx1-ubyte $WORK/size/
{ printf '\x00\x00\x08\x03\x00\x00\x01\x2c\x00\x00\x00\x20\x00\x00\x00\x20'; head -c $((300 * 32 * 32)) /dev/zero; } > $WORK/size/t10k-images-idx3-ubyte
run "wrong image size" 2 $SWEEP tests/configs/tiny.yaml --db $WORK/size.db data.dir=$WORK/size &&
    expect "wrong image size: names the file and both sizes" 't10k-images-idx3-ubyte.*32.*28|t10k-images-idx3-ubyte.*28.*32'
[ -e $WORK/size.db ] && bad "wrong image size: a database was created" || ok "wrong image size: no database"

finish e2e-bad
