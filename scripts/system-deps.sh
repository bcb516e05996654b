#!/usr/bin/env bash
# Install the system packages the tests need (Chromium for browser tests, fonts for slides),
# only when missing. Needs root (CI and fresh machines run as root); otherwise says what to run.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fonts="$(fc-list : family 2>/dev/null || true)"  # (a pipe into grep -q would trip pipefail)
grep -qi "Noto Sans CJK" <<<"$fonts" || need+=(fonts-noto-cjk)
grep -qi "DejaVu Sans" <<<"$fonts" || need+=(fonts-dejavu-core)
# axe-core (accessibility checks injected by the browser tests), from the npm registry
if [ ! -f .cache/npm/node_modules/axe-core/axe.min.js ] && command -v npm >/dev/null 2>&1; then
  npm install --silent --no-audit --no-fund --prefix .cache/npm axe-core@4 >/dev/null
fi
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing system packages: ${need[*]}; run: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "installing system packages: ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" fontconfig >/dev/null
