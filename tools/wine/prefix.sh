#!/usr/bin/env bash
# prefix.sh PREFIX: make PREFIX a 64-bit wine prefix that runs Go 1.24+
# Windows programs headless, for the tests only.
#
# Go 1.24+ gets random bytes from ProcessPrng in bcryptprimitives.dll, which
# Debian's wine 8 lacks; bcryptprimitives.c beside this script is built with
# mingw and installed as the prefix's system32/bcryptprimitives.dll.
#
# Idempotent: a prefix made by the same wine with the same DLL source is left
# alone (wineboot -i takes about half a minute). No display is used, and the
# Mono and Gecko installers are switched off.
set -euo pipefail
prefix=${1:?usage: prefix.sh PREFIX}
here=$(cd "$(dirname "$0")" && pwd)
wine=$("$here/find.sh" wine)
wineserver=$("$here/find.sh" wineserver)
src=$here/bcryptprimitives.c
stamp=$prefix/.ipfwatch-prefix
want="$("$wine" --version) $(sha256sum <"$src" | cut -d' ' -f1)"
if [[ -f $stamp && "$(cat "$stamp")" == "$want" ]]; then
	exit 0
fi
if [[ $prefix != /* || $prefix == / ]]; then
	echo "prefix.sh: want an absolute path other than /, not '$prefix'" >&2
	exit 1
fi
# Start again from nothing, but never remove a directory that is not a wine
# prefix.
if [[ -d $prefix && -n "$(ls -A "$prefix")" && ! -f $prefix/system.reg ]]; then
	echo "prefix.sh: $prefix is neither empty nor a wine prefix; remove it yourself" >&2
	exit 1
fi
export WINEPREFIX=$prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY WAYLAND_DISPLAY
"$wineserver" -k 2>/dev/null || true
rm -rf "$prefix"
mkdir -p "$prefix"
echo "prefix.sh: creating the wine prefix $prefix"
"$wine" wineboot -i >/dev/null 2>&1
"$wineserver" -w
x86_64-w64-mingw32-gcc -shared -O2 -s -o "$prefix/drive_c/windows/system32/bcryptprimitives.dll" "$src" -ladvapi32
echo "$want" >"$stamp"
