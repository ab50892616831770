#!/usr/bin/env bash
# Installs the optional Debian packages storyrender uses when they are missing:
#   espeak-ng  offline voice-over for the local provider (without it, voice-over is silent)
# Needs root (or passwordless sudo); otherwise prints how to install and carries on.
set -u
need=()
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
  echo "note: optional packages missing: ${need[*]} (install with: sudo apt-get install ${need[*]})" >&2
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "note: optional packages missing: ${need[*]} (no apt-get here; install them with your package manager)" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 || {
  $SUDO apt-get update -qq >/dev/null 2>&1
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 ||
    echo "note: could not install ${need[*]}; voice-over will be silent" >&2
}
exit 0
