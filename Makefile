# ipfwatch: `make run` and `make test` are all a fresh Debian/Ubuntu machine needs.
SHELL := /bin/bash
export LANG := en_US.UTF-8
GO ?= go
BIN := bin/ipfwatch

# Debian/Ubuntu packages: to build (cgo: SQLite, OpenGL, X11), to run the tray
# app, and to run the tests (a real X server, session bus and notification daemon).
BUILD_PKGS := gcc libc6-dev pkg-config libgl1-mesa-dev xorg-dev
RUN_PKGS := libgl1-mesa-dri dbus dbus-x11 libnotify-bin
TEST_PKGS := curl xvfb xauth dbus dbus-x11 dunst libnotify-bin libgl1-mesa-dri libglib2.0-bin
# The Windows build is cross-compiled with mingw and tested under wine.
WIN_PKGS := gcc-mingw-w64-x86-64 wine64

# The Windows build and what its tests under wine need (see tools/wine).
WIN_BIN := bin/ipfwatch.exe
WIN_TESTS := bin/win
WINEPREFIX_DIR := $(CURDIR)/bin/wineprefix
WIN_GO := CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=x86_64-w64-mingw32-gcc $(GO)
WINE_ENV := IPFWATCH_WIN_BIN=$(CURDIR)/$(WIN_BIN) IPFWATCH_WIN_TESTS=$(CURDIR)/$(WIN_TESTS) IPFWATCH_WINEPREFIX=$(WINEPREFIX_DIR)
# Packages that build without cgo, vetted for macOS and Windows too.
PORTABLE_PKGS := ./app/config ./app/remediation/proctree ./app/send ./app/sessionbus ./app/testdir ./assets ./listener ./ui/internal/async ./ui/internal/paging

.PHONY: all deps deps-test deps-windows build build-windows wine-ready run test test-windows vet fmt-check bench load measure screenshots clean

all: build

# deps installs the Debian/Ubuntu packages that are missing: with apt-get as
# root, else through sudo. Elsewhere it prints what to install.
deps:
	@./scripts/deps.sh $(BUILD_PKGS) $(RUN_PKGS)

deps-test:
	@./scripts/deps.sh $(BUILD_PKGS) $(RUN_PKGS) $(TEST_PKGS) $(WIN_PKGS)

deps-windows:
	@./scripts/deps.sh $(WIN_PKGS)

build: deps
	$(GO) build -o $(BIN) .

# build-windows cross-compiles the Windows build (cgo: SQLite, GLFW).
build-windows: deps-windows
	$(WIN_GO) build -o $(WIN_BIN) .

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
	GOOS=darwin CGO_ENABLED=0 $(GO) vet $(PORTABLE_PKGS)
	GOOS=windows CGO_ENABLED=0 $(GO) vet $(PORTABLE_PKGS)

fmt-check:
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# test runs every test with the race detector inside a private session bus, so
# nothing can reach (or autolaunch) another bus; the desktop tests start their
# own Xvfb, bus and dunst on top of that. The Windows build's tests run under
# wine in a private prefix (e2e_wine_test.go).
test: deps-test fmt-check vet wine-ready
	$(GO) build -o $(BIN) .
	IPFWATCH_BIN=$(CURDIR)/$(BIN) $(WINE_ENV) dbus-run-session -- $(GO) test -race -count=1 -timeout 30m ./...

# test-windows runs only the tests of the Windows build under wine.
test-windows: wine-ready
	$(WINE_ENV) $(GO) test -count=1 -timeout 15m -run '^TestWine' -v .

bench: deps-test
	$(GO) test -run '^$$' -bench . -benchtime 2s ./listener/ ./app/ ./app/store/

# load drives the full handler path and a bare HMAC-only handler on loopback
# in one process and prints the ratio.
load: deps
	$(GO) run ./app/loadtest -n 20000 -c 16

# measure prints start-to-listening time, idle CPU and memory of the tray app
# with 100,000 events, beside a bare Fyne tray app (about 4 minutes).
measure: deps-test build
	IPFWATCH_BIN=$(CURDIR)/$(BIN) dbus-run-session -- $(GO) test -tags measure -run TestMeasure -count=1 -v -timeout 20m .

screenshots: deps-test build
	./scripts/screenshots.sh

clean:
	rm -rf bin
