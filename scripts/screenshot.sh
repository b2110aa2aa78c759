#!/usr/bin/env bash
# Takes a screenshot of a report's index.html (or of any .html/.svg file) in headless
# Chromium, to check that a report renders in a real browser.
#
#   scripts/screenshot.sh REPORT_DIR|FILE[#FRAGMENT] OUT.png [WIDTH,HEIGHT]
#
# A fragment is passed to the page: `REPORT_DIR#t=3.0034` opens the step-through at that
# instant (the page scrolls to it).
#
# Needs a Chromium binary (Debian: `apt-get install -y chromium`). Nothing is fetched from
# the network: the page is opened from disk, and Chromium's own background traffic is off.
# Not part of CI.
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: $0 REPORT_DIR|FILE[#FRAGMENT] OUT.png [WIDTH,HEIGHT]" >&2
    exit 2
fi
target=${1%%#*}
fragment=""
if [ "$target" != "$1" ]; then
    fragment="#${1#*#}"
fi
out=$2
size=${3:-1400,3000}
if [ -d "$target" ]; then
    target=$target/index.html
fi
if [ ! -f "$target" ]; then
    echo "error: $target: no such file" >&2
    exit 2
fi
browser=""
for b in chromium chromium-browser google-chrome; do
    if command -v "$b" >/dev/null 2>&1; then
        browser=$b
        break
    fi
done
if [ -z "$browser" ]; then
    echo "error: no Chromium found (apt-get install -y chromium)" >&2
    exit 3
fi
abs=$(cd "$(dirname "$target")" && pwd)/$(basename "$target")
case $out in
    /*) ;;
    *) out=$(pwd)/$out ;;
esac
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
sandbox=()
if [ "$(id -u)" = 0 ]; then
    sandbox=(--no-sandbox)
fi
"$browser" --headless "${sandbox[@]}" --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --hide-scrollbars \
    --user-data-dir="$profile" --window-size="$size" --screenshot="$out" \
    --virtual-time-budget=3000 "file://$abs$fragment" >/dev/null 2>&1
if [ ! -s "$out" ]; then
    echo "error: Chromium wrote no screenshot" >&2
    exit 3
fi
echo "$out"
