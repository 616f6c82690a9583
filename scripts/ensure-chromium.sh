#!/usr/bin/env bash
# Prints the path of a Chromium the browser tests can drive, installing Debian's `chromium` package
# first when none is found and this runs as root (a fresh CI container). Anything else is a clear error:
# no browser is downloaded from elsewhere.
#
#   scripts/ensure-chromium.sh          → /usr/bin/chromium
#   CHROMIUM=/opt/chrome/chrome scripts/ensure-chromium.sh   → that path, if it runs
set -euo pipefail

find_chromium() {
  if [[ -n "${CHROMIUM:-}" ]]; then
    [[ -x "$CHROMIUM" ]] && { echo "$CHROMIUM"; return 0; }
    echo "ensure-chromium: CHROMIUM=$CHROMIUM is not an executable file" >&2
    return 2
  fi
  local candidate
  for candidate in chromium chromium-browser; do
    if command -v "$candidate" >/dev/null 2>&1; then
      command -v "$candidate"
      return 0
    fi
  done
  for candidate in /usr/bin/chromium /usr/lib/chromium/chromium; do
    [[ -x "$candidate" ]] && { echo "$candidate"; return 0; }
  done
  return 1
}

if path=$(find_chromium); then
  echo "$path"
  exit 0
elif [[ $? -eq 2 ]]; then
  exit 1
fi

if [[ "$(id -u)" -ne 0 ]]; then
  cat >&2 <<'MSG'
ensure-chromium: no Chromium found (looked for `chromium` on PATH and /usr/bin/chromium), and this is
not root, so it cannot be installed here. Install it once with:
    sudo apt-get install -y chromium
or point CHROMIUM at a Chromium or Chrome executable.
MSG
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: no Chromium found and no apt-get to install it with; set CHROMIUM to a Chromium executable" >&2
  exit 1
fi

echo "ensure-chromium: installing Debian's chromium package (apt-get, as root)…" >&2
export DEBIAN_FRONTEND=noninteractive
# apt-get's own output goes to stderr: stdout carries only the path.
{
  apt-get update -q
  apt-get install -y -q --no-install-recommends chromium
} >&2
if path=$(find_chromium); then
  echo "$path"
  exit 0
fi
echo "ensure-chromium: apt-get installed chromium but no executable was found afterwards" >&2
exit 1
