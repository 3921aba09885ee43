#!/bin/sh
# deps.sh check|install PKG... - make sure the Debian packages sweep builds with are here.
# check: if a library is missing, install it when root, else print the apt-get line and fail.
set -u
mode=$1; shift
missing=""
have_libs() {
    pkg-config --exists yaml-0.1 sqlite3 zlib openblas check 2>/dev/null
}
for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
# On Debian the package list decides; elsewhere, the libraries pkg-config finds.
if command -v dpkg-query >/dev/null 2>&1; then
    [ -z "$missing" ] && exit 0
elif have_libs; then
    exit 0
fi
if [ "$(id -u)" = 0 ]; then
    echo "sweep: installing Debian packages:$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 && apt-get install -y -qq $missing >&2 || {
        echo "sweep: apt-get install failed; run it yourself: apt-get install$missing" >&2; exit 1; }
    exit 0
fi
echo "sweep: missing libraries; install them with:" >&2
echo "  sudo apt-get install$missing" >&2
exit 1
