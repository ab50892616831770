#!/usr/bin/env bash
# Installs the optional Debian packages storyrender uses, when they are missing:
#   espeak-ng                  offline voice-over for the local provider (else voice-over is silent)
#   chromium, chromium-driver  the headless browser tests/e2e/browser drives; only with
#                              STORYRENDER_BROWSER_DEPS=1 (`make test` sets it)
# Needs root (or passwordless sudo) and apt-get; otherwise says how to install and carries on.
set -u

# install WHAT-HAPPENS-WITHOUT PACKAGE...
install() {
  local without=$1 sudo=""
  shift
  if [ "$(id -u)" -ne 0 ]; then
    if sudo -n true 2>/dev/null; then sudo="sudo -n"; else
      echo "note: missing $* (install with: sudo apt-get install $*); $without" >&2
      return 0
    fi
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "note: missing $* (no apt-get here: use your package manager); $without" >&2
    return 0
  fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1 || {
    $sudo apt-get update -qq >/dev/null 2>&1
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1 ||
      echo "note: could not install $*; $without" >&2
  }
}

command -v espeak-ng >/dev/null 2>&1 || install "voice-over will be silent" espeak-ng

if [ "${STORYRENDER_BROWSER_DEPS:-0}" = 1 ]; then
  want=()
  command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || want+=(chromium)
  command -v chromedriver >/dev/null 2>&1 || want+=(chromium-driver)
  [ ${#want[@]} -eq 0 ] || install "the browser test will be skipped" "${want[@]}" fonts-dejavu-core
fi
exit 0
