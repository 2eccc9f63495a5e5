#!/usr/bin/env bash
# find.sh wine|wineserver: print the path of the 64-bit wine loader or of
# wineserver. Debian's wine64 package puts them in /usr/lib/wine, off PATH,
# unless the wine package adds its wrappers.
set -euo pipefail
case ${1:-} in
wine) names=(wine64 wine) ;;
wineserver) names=(wineserver64 wineserver) ;;
*) echo "usage: find.sh wine|wineserver" >&2; exit 2 ;;
esac
for n in "${names[@]}"; do
	for p in "/usr/lib/wine/$n" "$(command -v "$n" 2>/dev/null || true)"; do
		if [[ -n $p && -x $p ]]; then
			echo "$p"
			exit 0
		fi
	done
done
echo "find.sh: no $1 found: install the Debian package wine64" >&2
exit 1
