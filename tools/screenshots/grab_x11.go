//go:build linux && !wayland

package main

/*
#cgo LDFLAGS: -lX11
#include <stdlib.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>

// grabFailed records an X error instead of letting Xlib's default handler
// end the process (an unmapped window answers XGetImage with BadMatch).
static int grabFailed;

static int grabOnError(Display *d, XErrorEvent *e) {
	grabFailed = 1;
	return 0;
}

static int shiftOf(unsigned long mask) {
	int s = 0;
	while (mask && !(mask & 1)) {
		mask >>= 1;
		s++;
	}
	return s;
}

// grab copies what X window win shows into a new RGBA buffer of
// *width x *height pixels, which the caller frees. It returns NULL and an
// error message on failure.
static unsigned char *grab(unsigned long win, int *width, int *height, const char **err) {
	Display *d = XOpenDisplay(NULL);
	if (d == NULL) {
		*err = "cannot open the X display";
		return NULL;
	}
	int (*prev)(Display *, XErrorEvent *) = XSetErrorHandler(grabOnError);
	grabFailed = 0;
	XWindowAttributes at;
	XImage *img = NULL;
	if (XGetWindowAttributes(d, (Window)win, &at)) {
		img = XGetImage(d, (Window)win, 0, 0, at.width, at.height, AllPlanes, ZPixmap);
	}
	XSync(d, False);
	XSetErrorHandler(prev);
	if (img == NULL || grabFailed) {
		if (img != NULL) {
			XDestroyImage(img);
		}
		XCloseDisplay(d);
		*err = "the X server could not read the window (is it mapped?)";
		return NULL;
	}
	int rs = shiftOf(img->red_mask), gs = shiftOf(img->green_mask), bs = shiftOf(img->blue_mask);
	unsigned long rm = img->red_mask >> rs, gm = img->green_mask >> gs, bm = img->blue_mask >> bs;
	unsigned char *out = malloc((size_t)at.width * at.height * 4);
	if (out == NULL || rm == 0 || gm == 0 || bm == 0) {
		free(out);
		XDestroyImage(img);
		XCloseDisplay(d);
		*err = "unsupported X visual";
		return NULL;
	}
	unsigned char *p = out;
	for (int y = 0; y < at.height; y++) {
		for (int x = 0; x < at.width; x++) {
			unsigned long px = XGetPixel(img, x, y);
			*p++ = ((px >> rs) & rm) * 255 / rm;
			*p++ = ((px >> gs) & gm) * 255 / gm;
			*p++ = ((px >> bs) & bm) * 255 / bm;
			*p++ = 255;
		}
	}
	*width = at.width;
	*height = at.height;
	XDestroyImage(img);
	XCloseDisplay(d);
	return out;
}
*/
import "C"

import (
	"errors"
	"image"
	"unsafe"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver"
)

// grabWindow reads what win shows from the X server. It is the fallback
// for Canvas.Capture, which reads OpenGL's front buffer: Mesa's software
// rendering under Xvfb (where make screenshots and the tests run) returns
// nothing there, while the X server has the real pixels. It returns nil
// without an error where win is not an X11 window. UI goroutine.
func grabWindow(win fyne.Window) (image.Image, error) {
	nw, ok := win.(driver.NativeWindow)
	if !ok {
		return nil, nil
	}
	var handle uintptr
	nw.RunNative(func(ctx any) {
		if x, ok := ctx.(driver.X11WindowContext); ok {
			handle = x.WindowHandle
		}
	})
	if handle == 0 {
		return nil, nil
	}
	var w, h C.int
	var msg *C.char
	buf := C.grab(C.ulong(handle), &w, &h, &msg)
	if buf == nil {
		return nil, errors.New(C.GoString(msg))
	}
	defer C.free(unsafe.Pointer(buf))
	img := image.NewRGBA(image.Rect(0, 0, int(w), int(h)))
	copy(img.Pix, unsafe.Slice((*byte)(unsafe.Pointer(buf)), len(img.Pix)))
	return img, nil
}
