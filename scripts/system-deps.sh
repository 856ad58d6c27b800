#!/bin/sh
# Installs the Debian/Ubuntu packages the app (and, with "test", the test
# suite) needs. Runs apt only when something is missing; without root it
# prints the exact command to run instead.
set -eu

packages="fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 libffi8 shared-mime-info"
if [ "${1:-run}" = "test" ]; then
    packages="$packages chromium poppler-utils"
fi
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    packages="$packages python3-venv"
fi

missing=""
for pkg in $packages; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $pkg"
    fi
done

if [ -z "$missing" ]; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "Missing system packages:$missing" >&2
    echo "This is not a Debian/Ubuntu system: install their equivalents by hand." >&2
    exit 1
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "Missing system packages:$missing" >&2
    echo "Run:  sudo apt-get update && sudo apt-get install -y$missing" >&2
    exit 1
fi

echo "Installing system packages:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing
