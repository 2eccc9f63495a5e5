#!/usr/bin/env bash
# screenshots.sh [OUT]: render ipfwatch's main window, one PNG per tab, with
# sample data into OUT (default docs/) for the README. It runs the real app
# on a private virtual X server and session bus, so it needs no desktop and
# leaves the engineer's own ipfwatch, settings and notifications alone.
# FYNE_THEME=dark gives the dark variant (default light). Times are in UTC.
# Needs: xvfb and xauth (xvfb-run), dbus (dbus-run-session), and the build
# packages (make deps-test installs them all).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-docs}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

for bin in xvfb-run dbus-run-session; do
	if ! command -v "$bin" >/dev/null 2>&1; then
		echo "screenshots: $bin not found: run 'make deps-test' (Debian packages xvfb, dbus)" >&2
		exit 1
	fi
done

tmp="$(mktemp -d -t ipfwatch.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
# Build with the engineer's Go environment, then run with a throwaway home:
# Fyne's settings (theme, scale) of the engineer must not change the shots.
go build -o "$tmp/screenshots" ./tools/screenshots
mkdir -p "$tmp/home"

env -i \
	PATH="$PATH" \
	HOME="$tmp/home" \
	XDG_CONFIG_HOME="$tmp/home/.config" \
	XDG_DATA_HOME="$tmp/home/.local/share" \
	XDG_CACHE_HOME="$tmp/home/.cache" \
	TMPDIR="$tmp" \
	LANG=en_US.UTF-8 \
	TZ=UTC \
	FYNE_SCALE=1 \
	FYNE_THEME="${FYNE_THEME:-light}" \
	xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" \
	dbus-run-session -- "$tmp/screenshots" -out "$out" -data "$tmp/data"
