//go:build ignore

// Command gen draws ipfwatch's icons: the tray icon in each state for light
// and dark panels, and the application icon. The PNGs are committed; run
// `go generate ./assets/` after changing a shape or a colour here.
//
// Each pixel is supersampled (8x8) against simple shapes, so edges are
// antialiased without any drawing library.
package main

import (
	"image"
	"image/color"
	"image/png"
	"log"
	"math"
	"os"
)

// shape reports whether a point, in icon units (0..64), is inside.
type shape func(x, y float64) bool

func circle(cx, cy, r float64) shape {
	return func(x, y float64) bool { return (x-cx)*(x-cx)+(y-cy)*(y-cy) <= r*r }
}

func ring(cx, cy, rIn, rOut float64) shape {
	return func(x, y float64) bool {
		d := (x-cx)*(x-cx) + (y-cy)*(y-cy)
		return d <= rOut*rOut && d >= rIn*rIn
	}
}

func rect(x0, y0, x1, y1 float64) shape {
	return func(x, y float64) bool { return x >= x0 && x <= x1 && y >= y0 && y <= y1 }
}

// segment is a line from (x0,y0) to (x1,y1) of width w with round ends.
func segment(x0, y0, x1, y1, w float64) shape {
	return func(x, y float64) bool {
		dx, dy := x1-x0, y1-y0
		t := ((x-x0)*dx + (y-y0)*dy) / (dx*dx + dy*dy)
		t = math.Max(0, math.Min(1, t))
		px, py := x0+t*dx-x, y0+t*dy-y
		return px*px+py*py <= w*w/4
	}
}

func union(s ...shape) shape {
	return func(x, y float64) bool {
		for _, f := range s {
			if f(x, y) {
				return true
			}
		}
		return false
	}
}

// layer paints col where in says so; a transparent layer punches a hole.
type layer struct {
	in  shape
	col color.NRGBA
}

var transparent = color.NRGBA{}

// render draws the layers, last on top, into a size x size image; shapes
// are in units of a 64-unit square.
func render(size int, layers []layer) *image.NRGBA {
	const ss = 8
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	scale := 64 / float64(size)
	for py := 0; py < size; py++ {
		for px := 0; px < size; px++ {
			var r, g, b, a float64
			for sy := 0; sy < ss; sy++ {
				for sx := 0; sx < ss; sx++ {
					x := (float64(px) + (float64(sx)+0.5)/ss) * scale
					y := (float64(py) + (float64(sy)+0.5)/ss) * scale
					c := transparent
					for _, l := range layers {
						if l.in(x, y) {
							c = l.col
						}
					}
					al := float64(c.A) / 255
					r += float64(c.R) * al
					g += float64(c.G) * al
					b += float64(c.B) * al
					a += al
				}
			}
			n := float64(ss * ss)
			if a == 0 {
				continue
			}
			img.SetNRGBA(px, py, color.NRGBA{
				R: uint8(math.Round(r / a)), G: uint8(math.Round(g / a)), B: uint8(math.Round(b / a)),
				A: uint8(math.Round(a / n * 255)),
			})
		}
	}
	return img
}

func hex(v uint32) color.NRGBA {
	return color.NRGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 255}
}

// The glyph is a watching eye: a ring with a pupil, the webhook listener
// looking out. The badge at the lower right carries the state, in colour
// and in shape, so it reads for colour-blind engineers too.
var (
	onLight = hex(0x2b2b2b) // glyph on a light panel
	onDark  = hex(0xf2f2f2) // glyph on a dark panel
	white   = hex(0xffffff)
	ink     = hex(0x1f1f1f)
)

type state struct {
	name   string
	badge  color.NRGBA
	symbol shape
	symCol color.NRGBA
}

const bx, by, br = 46.0, 46.0, 14.0 // badge centre and radius

var states = []state{
	// Listening: a green badge with a tick.
	{"listening", hex(0x2ea043), union(segment(39.5, 46.5, 44, 51, 4), segment(44, 51, 52.5, 41.5, 4)), white},
	// Attention: an amber badge with an exclamation mark (dark ink: white
	// on amber is too faint).
	{"attention", hex(0xf0a30a), union(rect(44.2, 36.5, 47.8, 48.5), circle(46, 53.5, 2.3)), ink},
	// Paused: a grey badge with two bars.
	{"paused", hex(0x8c8c8c), union(rect(40.5, 39.5, 44, 52.5), rect(48, 39.5, 51.5, 52.5)), white},
	// Error: a red badge with a cross.
	{"error", hex(0xd93025), union(segment(41, 41, 51, 51, 4), segment(51, 41, 41, 51, 4)), white},
}

func trayLayers(glyph color.NRGBA, s state) []layer {
	return []layer{
		{ring(28, 28, 17.5, 25), glyph},
		{circle(28, 28, 8.5), glyph},
		{circle(bx, by, br+3.5), transparent}, // a gap around the badge
		{circle(bx, by, br), s.badge},
		{s.symbol, s.symCol},
	}
}

func appLayers() []layer {
	bg := hex(0x1d4f91)
	rounded := union(rect(6, 0, 58, 64), rect(0, 6, 64, 58),
		circle(6, 6, 6), circle(58, 6, 6), circle(6, 58, 6), circle(58, 58, 6))
	ls := []layer{{rounded, bg}}
	// The tray glyph, inset so it sits inside the rounded square.
	inset := func(f shape) shape {
		return func(x, y float64) bool { return f((x-6)*64/52, (y-6)*64/52) }
	}
	listening := states[0]
	for _, l := range trayLayers(white, listening) {
		if l.col == transparent {
			l.col = bg
		}
		ls = append(ls, layer{inset(l.in), l.col})
	}
	return ls
}

func write(path string, img image.Image) {
	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}

func main() {
	for _, s := range states {
		write("tray-"+s.name+"-light.png", render(64, trayLayers(onLight, s)))
		write("tray-"+s.name+"-dark.png", render(64, trayLayers(onDark, s)))
	}
	write("icon.png", render(256, appLayers()))
}
