package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipfwatch/ipfwatch/app/config"
	"github.com/ipfwatch/ipfwatch/tools/desktoptest"
	"github.com/ipfwatch/ipfwatch/tools/screenshots/sample"
	"github.com/ipfwatch/ipfwatch/ui"
)

// screenshotHelperEnv makes the test binary fill a sample app and run
// Screenshots into the directory it names, instead of the tests.
const screenshotHelperEnv = "IPFWATCH_UI_SCREENSHOT_HELPER"

// init turns the test binary into the screenshot maker when
// TestScreenshots starts it as a child. Like TestMain's helpers it must run
// on the main goroutine, which the GLFW driver needs; package init does.
func init() {
	if dir := os.Getenv(screenshotHelperEnv); dir != "" {
		os.Exit(screenshotHelper(dir))
	}
}

func screenshotHelper(dir string) int {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		log.Error("data directory", "err", err)
		return 1
	}
	a, clock, err := sample.Open(data, log)
	if err != nil {
		log.Error("open", "err", err)
		return 1
	}
	ctx := context.Background()
	code := 0
	if err := a.Start(ctx); err != nil {
		log.Error("start", "err", err)
		code = 1
	} else if err := sample.Fill(ctx, a, clock); err != nil {
		log.Error("sample data", "err", err)
		code = 1
	} else {
		files, err := screenshots(a, filepath.Join(dir, "out"), log)
		for _, f := range files {
			fmt.Println(f)
		}
		if err != nil {
			log.Error("screenshots", "err", err)
			code = 1
		}
	}
	if err := a.Shutdown(ctx); err != nil {
		log.Error("shutdown", "err", err)
		code = 1
	}
	return code
}

// TestScreenshots makes the README's pictures the way make screenshots
// does, on a private X server, and checks each: written under its tab's
// name, a PNG of exactly the window's size, with a real picture in it (a
// blank or failed capture is one colour), and different from the others
// (each tab really came to the front).
func TestScreenshots(t *testing.T) {
	desktoptest.Start(t, desktoptest.Options{Xvfb: true})
	dir := t.TempDir()
	home := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	// The engineer's secrets in the environment would override the
	// sample's; their Fyne settings would change the pictures.
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, config.EnvSecret+"=") || strings.HasPrefix(kv, config.EnvPreviousSecret+"=")
	})
	cmd.Env = append(cmd.Env, screenshotHelperEnv+"="+dir, "HOME="+home,
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "LANG=en_US.UTF-8", "TZ=UTC",
		"FYNE_SCALE=1", "FYNE_THEME=light")
	var stderr syncBuffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = 5 * time.Second
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("screenshot maker: %v\nstderr:\n%s", err, stderr.String())
	}
	out := filepath.Join(dir, "out")
	var want []string
	for _, sh := range shots {
		want = append(want, filepath.Join(out, sh.file))
	}
	if got := strings.Fields(string(stdout)); !slices.Equal(got, want) {
		t.Errorf("files written %q, want %q", got, want)
	}
	if tmp, _ := filepath.Glob(filepath.Join(out, "*.tmp.png")); len(tmp) > 0 {
		t.Errorf("temporary files left behind: %q", tmp)
	}
	if strings.Contains(stderr.String(), sample.Secret) {
		t.Error("the secret appears in the log")
	}

	var imgs []image.Image
	var names []string
	for _, sh := range shots {
		t.Run(sh.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join(out, sh.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			img, err := png.Decode(f)
			if err != nil {
				t.Fatalf("not a PNG: %v", err)
			}
			size := image.Pt(int(ui.WindowSize.Width), int(ui.WindowSize.Height))
			if got := img.Bounds().Size(); got != size {
				t.Errorf("%v pixels, want the window's %v", got, size)
			}
			// Text over a background with icons and selection colours has
			// hundreds of colours (antialiasing); a blank capture has one.
			if n := colours(img); n < 50 {
				t.Errorf("only %d colours: not a picture of the window", n)
			}
			for i, other := range imgs {
				if sameImage(img, other) {
					t.Errorf("the same picture as %s", names[i])
				}
			}
			imgs, names = append(imgs, img), append(names, sh.file)
		})
	}
}

func colours(img image.Image) int {
	seen := map[color.RGBA]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), uint8(a >> 8)}] = true
		}
	}
	return len(seen)
}

// TestPlain checks the test for an empty capture, which decides whether
// Screenshots falls back to reading the window from the X server.
func TestPlain(t *testing.T) {
	one := image.NewRGBA(image.Rect(0, 0, 4, 3))
	dot := image.NewRGBA(image.Rect(0, 0, 4, 3))
	dot.Set(3, 2, color.RGBA{R: 1, A: 255})
	tests := []struct {
		name string
		img  image.Image
		want bool
	}{
		{"empty", image.NewRGBA(image.Rect(0, 0, 0, 0)), true},
		{"one colour", one, true},
		{"one pixel differs, last", dot, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := plain(tt.img); got != tt.want {
				t.Errorf("plain = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestLoading checks what counts as a view still loading.
func TestLoading(t *testing.T) {
	tests := []struct {
		texts []string
		want  bool
	}{
		{[]string{"Any status", "Loading events…"}, true},
		{[]string{"Loading…"}, true},
		{[]string{"Event 3: loading…"}, true},
		{[]string{"Loaded 3 rules"}, false},
		{[]string{"9 events", "Nothing runs until you approve it."}, false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := loading(tt.texts); got != tt.want {
			t.Errorf("loading(%q) = %v, want %v", tt.texts, got, tt.want)
		}
	}
}

// syncBuffer collects a child's stderr.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}
