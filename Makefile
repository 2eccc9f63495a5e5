# ipfwatch: `make run` and `make test` are all a fresh Debian/Ubuntu machine needs.
SHELL := /bin/bash
export LANG := en_US.UTF-8
GO ?= go
BIN := bin/ipfwatch

# What `ipfwatch --version` prints: FyneApp.toml's Version and the commit
# ("-dirty" with uncommitted changes to tracked files).
VERSION := $(shell sed -n 's/^[[:space:]]*Version[[:space:]]*=[[:space:]]*"\(.*\)"/\1/p' FyneApp.toml)
COMMIT := $(shell c=$$(git rev-parse --short HEAD 2>/dev/null) && { git diff --quiet HEAD -- 2>/dev/null || c=$$c-dirty; echo $$c; })
# no_emoji leaves out Fyne's bundled colour emoji font: ipfwatch shows no
# emoji, and Fyne parses that 4 MB font again for each text style it draws
# (regular, bold, italic, monospace), about 15 MB of heap with the window
# open, and 4 MB of binary.
TAGS := no_emoji
LDFLAGS := -X github.com/ipfwatch/ipfwatch/app/version.Version=$(VERSION) -X github.com/ipfwatch/ipfwatch/app/version.Commit=$(COMMIT)

# Debian/Ubuntu packages: to build (cgo: SQLite, OpenGL, X11), to run the tray
# app, and to run the tests (a real X server, session bus and notification daemon).
BUILD_PKGS := gcc libc6-dev pkg-config libgl1-mesa-dev xorg-dev
RUN_PKGS := libgl1-mesa-dri dbus dbus-x11 libnotify-bin
TEST_PKGS := curl xvfb xauth x11-utils dbus dbus-x11 dunst libnotify-bin libgl1-mesa-dri libglib2.0-bin
# To build the tarball (fyne package runs tar -J), and to check it.
PACKAGE_PKGS := xz-utils
PACKAGE_CHECK_PKGS := xz-utils desktop-file-utils
# The Windows build is cross-compiled with mingw and tested under wine.
WIN_PKGS := gcc-mingw-w64-x86-64 wine64

# The Windows build and what its tests under wine need (see tools/wine).
WIN_BIN := bin/ipfwatch.exe
WIN_TESTS := bin/win
WINEPREFIX_DIR := $(CURDIR)/bin/wineprefix
WIN_GO := CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=x86_64-w64-mingw32-gcc $(GO)
WINE_ENV := IPFWATCH_WIN_BIN=$(CURDIR)/$(WIN_BIN) IPFWATCH_WIN_TESTS=$(CURDIR)/$(WIN_TESTS) IPFWATCH_WINEPREFIX=$(WINEPREFIX_DIR)
# Packages that build without cgo, vetted for macOS and Windows too.
PORTABLE_PKGS := ./app/autostart ./app/config ./app/instance ./app/ipf/... ./app/lockfile ./app/locale ./app/version ./listener/webhook ./app/remediation/proctree ./app/send ./app/sessionbus ./app/testdir ./assets ./listener ./ui/internal/async ./ui/internal/paging

.PHONY: all deps deps-test deps-windows build build-windows wine-ready run test test-windows vet fmt-check bench load measure screenshots package install package-check clean

all: build

# deps installs the Debian/Ubuntu packages that are missing: with apt-get as
# root, else through sudo. Elsewhere it prints what to install.
deps:
	@./scripts/deps.sh $(BUILD_PKGS) $(RUN_PKGS)

deps-test:
	@./scripts/deps.sh $(BUILD_PKGS) $(RUN_PKGS) $(TEST_PKGS) $(WIN_PKGS) $(PACKAGE_CHECK_PKGS)

deps-windows:
	@./scripts/deps.sh $(WIN_PKGS)

build: deps
	$(GO) build -tags $(TAGS) -ldflags "$(LDFLAGS)" -o $(BIN) .

# build-windows cross-compiles the Windows build (cgo: SQLite, GLFW).
build-windows: deps-windows
	$(WIN_GO) build -tags $(TAGS) -ldflags "$(LDFLAGS)" -o $(WIN_BIN) .

# wine-ready builds what the wine tests run: ipfwatch.exe, the Windows
# builds of the packages' tests that run under wine, a remediation program
# that starts a process tree, and the wine prefix.
wine-ready: build-windows
	@mkdir -p $(WIN_TESTS)
	GOOS=windows GOARCH=amd64 $(GO) test -c -o $(WIN_TESTS)/proctree_test.exe ./app/remediation/proctree
	GOOS=windows GOARCH=amd64 $(GO) test -c -o $(WIN_TESTS)/config_test.exe ./app/config
	GOOS=windows GOARCH=amd64 $(GO) build -o $(WIN_TESTS)/spawntree.exe ./tools/wine/spawntree
	./tools/wine/prefix.sh $(WINEPREFIX_DIR)

# run starts the tray app with its data in the default place (where there is
# no display it runs headless, as `ipfwatch serve`).
run: build
	./$(BIN)

vet:
	$(GO) vet ./...
	$(GO) vet -tags wine,measure .  # the tests behind tags
	GOOS=darwin CGO_ENABLED=0 $(GO) vet $(PORTABLE_PKGS)
	GOOS=windows CGO_ENABLED=0 $(GO) vet $(PORTABLE_PKGS)

fmt-check:
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# test runs every test with the race detector inside a private session bus, so
# nothing can reach (or autolaunch) another bus; the desktop tests start their
# own Xvfb, bus and dunst on top of that. The Windows build's tests run under
# wine in a private prefix (e2e_wine_test.go). Last, the Linux package is
# built and checked (package-check), so make package works on every commit.
test: deps-test fmt-check vet wine-ready
	$(GO) build -tags $(TAGS) -ldflags "$(LDFLAGS)" -o $(BIN) .
	IPFWATCH_BIN=$(CURDIR)/$(BIN) $(WINE_ENV) dbus-run-session -- $(GO) test -race -tags wine -count=1 -timeout 30m ./...
	$(MAKE) package-check

# test-windows runs only the tests of the Windows build under wine.
test-windows: wine-ready
	$(WINE_ENV) $(GO) test -tags wine -count=1 -timeout 15m -run '^TestWine' -v .

bench: deps-test
	$(GO) test -run '^$$' -bench . -benchtime 2s ./listener/ ./app/ ./app/store/

# load drives ipfwatch's full delivery path on loopback beside two references
# measured in the same run (a bare HMAC-only handler, and the durable floor:
# HMAC + one group-committed INSERT with ipfwatch's SQLite settings), plus the
# seed FastAPI listener when python3-fastapi and python3-uvicorn are
# installed, and forged requests; it prints a table and the ratios.
load: deps
	$(GO) run ./tools/loadtest -n 20000 -c 16

# measure prints start-to-listening time, idle CPU, context switches and
# memory of the tray app with 100,000 events and one delivery (which loads the
# store's in-memory index; window hidden and open), beside
# a bare Fyne tray app with and without the idle parker (and its tray-click
# latency) and headless serve, all in one run (about 10 minutes).
measure: deps-test build
	IPFWATCH_BIN=$(CURDIR)/$(BIN) dbus-run-session -- $(GO) test -tags measure -run TestMeasure -count=1 -v -timeout 20m .

screenshots: deps-test build
	./scripts/screenshots.sh

# The fyne tool packages the app. It is a tool, not a dependency of the
# module: installed into bin/tools, never added to go.mod.
FYNE_VERSION := v1.7.4
FYNE := bin/tools/fyne-$(FYNE_VERSION)/fyne
PKG_DIR := bin/package
TARBALL := bin/ipfwatch-$(VERSION)-linux-$(shell $(GO) env GOARCH).tar.xz

$(FYNE):
	GOBIN=$(CURDIR)/$(dir $(FYNE)) $(GO) install fyne.io/tools/cmd/fyne@$(FYNE_VERSION)

# package builds the Linux tarball (binary, icon, .desktop file and the
# Makefile `make install` runs). The binary is built here, stripped and
# with the version flags; fyne package only wraps it. fyne package also
# bumps Build in the FyneApp.toml of its --src directory, so it is given a
# staged copy (with a stub .go file: it insists on finding Go code there)
# and the tree stays clean even if packaging is interrupted.
package: deps $(FYNE)
	@./scripts/deps.sh $(PACKAGE_PKGS)
	rm -rf $(PKG_DIR) && mkdir -p $(PKG_DIR)/src/assets
	$(GO) build -tags $(TAGS) -trimpath -ldflags "$(LDFLAGS) -s -w" -o $(PKG_DIR)/ipfwatch .
	cp FyneApp.toml $(PKG_DIR)/src/ && cp assets/icon.png $(PKG_DIR)/src/assets/
	echo 'package main' > $(PKG_DIR)/src/stub.go
	cd $(PKG_DIR) && $(CURDIR)/$(FYNE) package -os linux --src $(CURDIR)/$(PKG_DIR)/src --executable $(CURDIR)/$(PKG_DIR)/ipfwatch
	mv $(PKG_DIR)/ipfwatch.tar.xz $(TARBALL)
	rm -rf $(PKG_DIR)/src  # its stub would join `go test ./...`
	@echo "built $(TARBALL)"

# install installs the tarball for this user, without sudo, with its own
# Makefile's user-install: ~/.local/bin/ipfwatch, the .desktop file in
# ~/.local/share/applications, the icon in ~/.local/share/icons.
install: package
	rm -rf $(PKG_DIR)/unpacked && mkdir -p $(PKG_DIR)/unpacked
	tar -xJf $(TARBALL) -C $(PKG_DIR)/unpacked
	$(MAKE) -C $(PKG_DIR)/unpacked/ipfwatch user-install
	@case ":$$PATH:" in *":$$HOME/.local/bin:"*) ;; *) echo "note: $$HOME/.local/bin is not on your PATH";; esac

# package-check builds the tarball and checks what it holds, a user
# install of it into a scratch home, and that the tree (go.mod, go.sum and
# FyneApp.toml above all) is as it was.
package-check:
	@./scripts/deps.sh $(PACKAGE_CHECK_PKGS)
	@mkdir -p bin && git status --porcelain > bin/.status-before && sha256sum go.mod go.sum FyneApp.toml > bin/.sums-before
	$(MAKE) package
	./scripts/check-package.sh $(TARBALL) $(VERSION) $(COMMIT)
	@sha256sum --quiet -c bin/.sums-before && git status --porcelain | diff -u bin/.status-before - && echo "tree unchanged"

clean:
	rm -rf bin
