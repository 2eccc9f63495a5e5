package assets

import (
	"bytes"
	"image"
	"image/png"
	"testing"
)

func decode(t *testing.T, name string, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return img
}

// TestTrayIcons checks every state has a 64x64 PNG for each panel, and
// that the light- and dark-panel variants and the states all differ.
func TestTrayIcons(t *testing.T) {
	seen := map[string]string{}
	for _, s := range TrayStates {
		for _, dark := range []bool{false, true} {
			r := Tray(s, dark)
			img := decode(t, r.Name(), r.Content())
			if b := img.Bounds(); b.Dx() != 64 || b.Dy() != 64 {
				t.Errorf("%s is %dx%d, want 64x64", r.Name(), b.Dx(), b.Dy())
			}
			if other, dup := seen[string(r.Content())]; dup {
				t.Errorf("%s is the same image as %s", r.Name(), other)
			}
			seen[string(r.Content())] = r.Name()
		}
	}
	if Tray("nonsense", false) != Tray(Error, false) {
		t.Error("an unknown state does not get the error icon")
	}
}

func TestAppIcon(t *testing.T) {
	img := decode(t, AppIcon.Name(), AppIcon.Content())
	if b := img.Bounds(); b.Dx() != 256 || b.Dy() != 256 {
		t.Errorf("icon.png is %dx%d, want 256x256", b.Dx(), b.Dy())
	}
}
