#!/usr/bin/env bash
# check-package.sh TARBALL VERSION COMMIT: checks the Linux tarball `make
# package` built: the files it holds, its .desktop file, the binary's
# version, and a user install (and uninstall) into a scratch home.
# `make package-check` runs it.
set -euo pipefail
tarball=$1 version=$2 commit=$3
fail() { echo "check-package: $*" >&2; exit 1; }

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
tar -xJf "$tarball" -C "$scratch"
root=$scratch/ipfwatch
[[ -d $root/usr/local ]] && prefix=$root/usr/local || prefix=$root/usr

# Exactly these files, nothing else.
want=$(printf '%s\n' Makefile bin/ipfwatch share/applications/io.github.ipfwatch.desktop share/pixmaps/io.github.ipfwatch.png | sort)
got=$( (cd "$root" && find . -type f | sed 's|^\./||; s|^usr/local/||; s|^usr/||') | sort)
[[ $got == "$want" ]] || fail "tarball holds:"$'\n'"$got"$'\n'"want:"$'\n'"$want"

# The binary: executable, this version and commit, quiet under C.UTF-8.
[[ -x $prefix/bin/ipfwatch ]] || fail "bin/ipfwatch is not executable"
out=$(LANG=C.UTF-8 "$prefix/bin/ipfwatch" --version 2>"$scratch/stderr")
[[ $out == "ipfwatch $version (commit $commit, "* ]] || fail "--version printed: $out"
[[ ! -s $scratch/stderr ]] || fail "--version wrote to stderr: $(cat "$scratch/stderr")"

# The icon is the app icon.
cmp -s "$prefix/share/pixmaps/io.github.ipfwatch.png" assets/icon.png || fail "the icon is not assets/icon.png"

# The .desktop file: valid, and says what FyneApp.toml says.
desktop=$prefix/share/applications/io.github.ipfwatch.desktop
desktop-file-validate "$desktop" || fail "desktop-file-validate failed"
comment=$(sed -n 's/^[[:space:]]*Comment[[:space:]]*=[[:space:]]*"\(.*\)"/\1/p' FyneApp.toml)
for line in "Type=Application" "Name=ipfwatch" "Exec=ipfwatch" "Icon=io.github.ipfwatch" \
	"Comment=$comment" "GenericName=IP Fabric webhook monitor" "Categories=Network;Monitor;"; do
	grep -qxF "$line" "$desktop" || fail "no '$line' in the .desktop file:"$'\n'"$(cat "$desktop")"
done

# A user install needs no root and points the .desktop file at the
# installed binary; uninstall removes it all again.
home=$scratch/home
mkdir -p "$home"
make -s -C "$root" user-install HOME="$home" >/dev/null
for f in .local/bin/ipfwatch .local/share/applications/io.github.ipfwatch.desktop .local/share/icons/io.github.ipfwatch.png; do
	[[ -f $home/$f ]] || fail "user-install did not install ~/$f"
done
grep -qxF "Exec=$home/.local/bin/ipfwatch" "$home/.local/share/applications/io.github.ipfwatch.desktop" ||
	fail "the installed .desktop file does not run ~/.local/bin/ipfwatch"
"$home/.local/bin/ipfwatch" --version >/dev/null || fail "the installed binary does not run"
make -s -C "$root" user-uninstall HOME="$home" >/dev/null
left=$(find "$home" -type f)
[[ -z $left ]] || fail "user-uninstall left: $left"
echo "check-package: $tarball ok ($(du -h "$tarball" | cut -f1))"
