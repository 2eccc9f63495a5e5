// Package export writes what a view has loaded to a file the engineer
// picked, as CSV or JSON. The Events and Signature failures views export
// the same way (a header line, every cell defused against spreadsheet
// formulas, times in UTC to the millisecond, indented JSON, the file picked
// in a save dialog and written off the UI goroutine) and differ only in
// their columns; this package holds the part that is the same so the two
// cannot drift apart.
package export

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
)

// The export formats, also the files' extensions.
const (
	CSV  = "csv"
	JSON = "json"
)

// Time is how exports write times: UTC, to the millisecond, so files from
// different machines line up.
func Time(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// WriteCSV writes header and then one record a row, as record fills it in
// (it is handed rec emptied, to append to). Every cell the sender controls
// could start a spreadsheet formula, so cells starting with = + - @ (or a
// tab or carriage return) are prefixed with a single quote.
func WriteCSV[R any](w io.Writer, header []string, rows []R, record func(rec []string, r R) []string) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("export csv: %w", err)
	}
	rec := make([]string, 0, len(header))
	for _, r := range rows {
		rec = record(rec[:0], r)
		for i := range rec {
			rec[i] = CSVSafe(rec[i])
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("export csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("export csv: %w", err)
	}
	return nil
}

// CSVSafe defuses a cell a spreadsheet would otherwise run as a formula.
func CSVSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WriteJSON writes v as indented JSON.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("export json: %w", err)
	}
	return nil
}

// Ask shows a save dialog proposing name and hands the file picked to save;
// it shows an error in win if the dialog fails, and does nothing if it is
// cancelled. UI goroutine.
func Ask(win fyne.Window, name string, save func(w io.WriteCloser)) {
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil {
			dialog.ShowError(err, win)
			return
		}
		if w == nil {
			return // cancelled
		}
		save(w)
	}, win)
	d.SetFileName(name)
	d.Show()
}

// To writes to w in format, with writeJSON or writeCSV, and closes w; it
// returns the first error.
func To(w io.WriteCloser, format string, writeCSV, writeJSON func(io.Writer) error) error {
	var err error
	if format == JSON {
		err = writeJSON(w)
	} else {
		err = writeCSV(w)
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return err
}

// Background is what Save needs of a view: work off the UI goroutine with
// its result applied on it (viewkit.Base).
type Background interface {
	Background(work func(ctx context.Context) func())
}

// Save asks where to save rows, proposing name.format, then writes them in
// format with writeCSV or writeJSON off the UI goroutine (through the
// view's b) and reports a failure in a dialog. UI goroutine.
func Save[R any](b Background, win fyne.Window, log *slog.Logger, name, format string, rows []R,
	writeCSV, writeJSON func(io.Writer, []R) error) {
	Ask(win, name+"."+format, func(f io.WriteCloser) { SaveTo(b, win, log, f, format, rows, writeCSV, writeJSON) })
}

// SaveTo is Save once the file f is chosen.
func SaveTo[R any](b Background, win fyne.Window, log *slog.Logger, f io.WriteCloser, format string, rows []R,
	writeCSV, writeJSON func(io.Writer, []R) error) {
	b.Background(func(context.Context) func() {
		err := To(f, format,
			func(w io.Writer) error { return writeCSV(w, rows) },
			func(w io.Writer) error { return writeJSON(w, rows) })
		if err == nil {
			return nil
		}
		log.Warn("export failed", "file", name(f), "err", err)
		return func() { dialog.ShowError(err, win) }
	})
}

// name is the chosen file's name, for the log, where the writer has one.
func name(f io.WriteCloser) string {
	if n, ok := f.(interface{ Name() string }); ok {
		return n.Name()
	}
	return ""
}
