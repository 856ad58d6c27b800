#!/bin/sh
# Installs the Debian/Ubuntu packages the app (and, with "test", the test
# suite) needs. Runs apt only when something is missing and we are root;
# otherwise prints the exact command to run and carries on (only a missing
# Python venv module stops the build: nothing works without it).
set -eu

packages="fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 shared-mime-info"
required=""
if ! "${PYTHON:-python3}" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    required="python3-venv"
fi
want_browser=""
# The tests read PDFs back with pdftotext, pdffonts and pdftoppm, and decode
# the brochure's QR codes with zbarimg.
[ "${1:-run}" = "test" ] && packages="$packages poppler-utils zbar-tools"
if [ "${1:-run}" = "test" ] && ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
    want_browser="chromium"
fi

missing="$required"
for pkg in $packages; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $pkg"
    fi
done
missing="$(echo "$missing $want_browser" | xargs)"
[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
    echo "Missing system packages: $missing" >&2
    echo "This is not a Debian/Ubuntu system: install their equivalents by hand." >&2
    [ -z "$required" ] || exit 1
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "Missing system packages: $missing" >&2
    echo "Run:  sudo apt-get update && sudo apt-get install -y $missing" >&2
    [ -n "$want_browser" ] && echo "(Chromium is only for the browser test, which is skipped without it.)" >&2
    [ -z "$required" ] || exit 1
    exit 0
fi

echo "Installing system packages: $missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $(echo "$missing" | sed 's/chromium//') 
if [ -n "$want_browser" ]; then
    # Debian ships "chromium"; Ubuntu only a snap wrapper that does not run in
    # containers. Without it the browser test is skipped, not failed.
    apt-get install -y -qq --no-install-recommends chromium \
        || echo "Could not install Chromium; the browser test will be skipped." >&2
fi
