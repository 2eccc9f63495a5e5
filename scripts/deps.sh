#!/usr/bin/env bash
# deps.sh PKG...: install the Debian/Ubuntu packages among PKG that are not
# installed yet. As root it uses apt-get, otherwise sudo apt-get; on a system
# without apt-get it prints what is needed and carries on.
set -euo pipefail
missing=()
for p in "$@"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
# Deduplicate while keeping order.
declare -A seen=()
todo=()
for p in "${missing[@]:-}"; do
	[[ -z "$p" || -n "${seen[$p]:-}" ]] && continue
	seen[$p]=1
	todo+=("$p")
done
if ! command -v go >/dev/null 2>&1; then
	echo "deps: Go is not installed: get Go 1.26 or newer from https://go.dev/dl/ and put it on PATH" >&2
	exit 1
fi
if [[ ${#todo[@]} -eq 0 ]]; then
	exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
	echo "deps: not a Debian/Ubuntu system; install the equivalents of: ${todo[*]}" >&2
	exit 0
fi
SUDO=()
if [[ $(id -u) -ne 0 ]]; then
	if command -v sudo >/dev/null 2>&1; then SUDO=(sudo); else
		echo "deps: need root to install: ${todo[*]}" >&2
		exit 1
	fi
fi
echo "deps: installing ${todo[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${todo[@]}"
