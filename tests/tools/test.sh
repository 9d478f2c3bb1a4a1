#!/usr/bin/env bash
# The whole test suite (`npm test`): system packages, lint, types, build, unit, relay and e2e tests.
# Stops at the first failing step and exits non-zero.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

# Debian packages the relay and end-to-end tests need, by the binary that proves each is there
# (redis-server: the relay cluster's tests start their own, on a free loopback port).
missing=()
if [[ -z "${CHROMIUM_PATH:-}" || ! -x "${CHROMIUM_PATH:-}" ]]; then
	command -v chromium >/dev/null || missing+=(chromium)
fi
command -v turnserver >/dev/null || missing+=(coturn)
command -v ffmpeg >/dev/null || missing+=(ffmpeg)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v ip >/dev/null || missing+=(iproute2)
command -v unshare >/dev/null || missing+=(util-linux)

if ((${#missing[@]} > 0)); then
	if [[ "$(id -u)" -eq 0 ]]; then
		echo "==> Installing system packages: ${missing[*]}"
		apt-get update
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
	else
		echo "Missing: ${missing[*]} — install them with: sudo apt-get install -y ${missing[*]}" >&2
		exit 1
	fi
fi

if [[ ! -d node_modules ]]; then
	echo "==> npm ci"
	npm ci
fi

step() {
	echo
	echo "==> npm run $1"
	npm run "$1"
}

step lint
step check
step build
step test:unit
step test:relay
step test:e2e
