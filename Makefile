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

.PHONY: all deps deps-test build run test vet fmt-check bench load measure screenshots clean

all: build

# deps installs the Debian/Ubuntu packages that are missing: with apt-get as
# root, else through sudo. Elsewhere it prints what to install.
deps:
	@./scripts/deps.sh $(BUILD_PKGS) $(RUN_PKGS)

deps-test:
	@./scripts/deps.sh $(BUILD_PKGS) $(RUN_PKGS) $(TEST_PKGS)

build: deps
	$(GO) build -o $(BIN) .

# run starts the tray app with its data in the default place (where there is
# no display it runs headless, as `ipfwatch serve`).
run: build
	./$(BIN)

vet:
	$(GO) vet ./...

fmt-check:
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# test runs every test with the race detector inside a private session bus, so
# nothing can reach (or autolaunch) another bus; the desktop tests start their
# own Xvfb, bus and dunst on top of that.
test: deps-test fmt-check vet
	$(GO) build -o $(BIN) .
	IPFWATCH_BIN=$(CURDIR)/$(BIN) dbus-run-session -- $(GO) test -race -count=1 -timeout 30m ./...

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
# memory of the tray app with 100,000 events (window hidden and open), beside
# a bare Fyne tray app with and without the idle parker (and its tray-click
# latency) and headless serve, all in one run (about 10 minutes).
measure: deps-test build
	IPFWATCH_BIN=$(CURDIR)/$(BIN) dbus-run-session -- $(GO) test -tags measure -run TestMeasure -count=1 -v -timeout 20m .

screenshots: deps-test build
	./scripts/screenshots.sh

clean:
	rm -rf bin
