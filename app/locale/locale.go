// Package locale keeps Fyne from logging "Error parsing user locale C" at
// start-up. main imports it, blank, before anything that imports Fyne.
//
// What it works around (Fyne v2.7.1, github.com/jeandeaual/go-locale
// v0.0.0-20250612000132): the init function of fyne.io/fyne/v2/lang calls
// locale.GetLocales, which on Linux and the BSDs takes the first non-empty
// of LC_ALL, LC_MESSAGES and LANG; returns nothing if that is exactly "C"
// or "POSIX"; otherwise prefers LANGUAGE (a colon-separated list) when set;
// cuts each entry at "." (the codeset) and turns "ll_CC" into "ll-CC".
// Fyne then parses every entry as a BCP 47 tag and logs each failure. So
// LANG=C.UTF-8 (the default of many containers and minimal systems) gives
// the tag "C", and LANG=sr_RS@latin gives "sr-RS@latin": both are logged on
// every run of every command, although Fyne falls back to English anyway.
// LANG=C and an empty environment are quiet. Fyne asks again at run time
// (lang.SystemLocale for fonts and date formats), so the fix must last for
// the whole process rather than only during initialisation.
//
// The fix: when the list go-locale would return holds an entry Fyne cannot
// parse, set LANGUAGE in this process to the entries it can (a modifier
// such as "@latin" dropped), or to "en" if none is left. LANGUAGE is the
// one variable go-locale prefers that does not change the process's locale
// categories: LANG, LC_ALL and LC_MESSAGES are left as they are, so
// remediation runs (which receive only PATH, HOME and LANG) see exactly
// what ipfwatch was given. Other programs started with the whole
// environment (xdg-open, for instance) also see LANGUAGE; gettext ignores
// it under the C locale and otherwise it names the language those programs
// would have used anyway. A well-formed tag of an unknown language (say
// LANGUAGE=xx) is not caught: that is a real misconfiguration worth Fyne's
// message.
//
// Why it runs in time: since Go 1.21 the spec orders package
// initialisation: of the packages not yet initialised whose imports all
// are, the first by import path goes next. This package imports only
// "os" and "strings", which go-locale imports too, so it is ready whenever
// go-locale is, and "github.com/ipfwatch/..." sorts before
// "github.com/jeandeaual/...": it is initialised before go-locale and so
// before fyne.io/fyne/v2/lang, which imports go-locale. Adding an import
// here that go-locale lacks would void that argument; the package's tests
// check the order in the real binary with GODEBUG=inittrace=1.
//
// On Windows, macOS, Android and the web go-locale asks the system, not the
// environment, and this package does nothing.
package locale

import "strings"

// languageFix returns the value LANGUAGE must take so that every locale
// go-locale reports from getenv parses as a BCP 47 tag, and false if the
// environment is fine as it is.
func languageFix(getenv func(string) string) (string, bool) {
	entries := localeEntries(getenv)
	bad := false
	for _, e := range entries {
		if !parsable(e) {
			bad = true
		}
	}
	if !bad {
		return "", false
	}
	var keep []string
	for _, e := range entries {
		if !parsable(e) {
			e, _, _ = strings.Cut(e, "@")
		}
		if parsable(e) {
			keep = append(keep, e)
		}
	}
	if len(keep) == 0 {
		return "en", true
	}
	return strings.Join(keep, ":"), true
}

// localeEntries is the list go-locale's GetLocales works from, before it
// turns each entry into a tag (see the package comment).
func localeEntries(getenv func(string) string) []string {
	loc := ""
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if loc = getenv(name); loc != "" {
			break
		}
	}
	if loc == "C" || loc == "POSIX" {
		return nil
	}
	if l := getenv("LANGUAGE"); l != "" {
		loc = l
	}
	if loc == "" {
		return nil
	}
	return strings.Split(loc, ":")
}

// parsable reports whether the tag go-locale makes of a POSIX locale name
// ("ll_CC.codeset@modifier") is well-formed for golang.org/x/text's
// language.Parse: a language of two or three letters, then optionally a
// script (four letters), then optionally a region (two letters or three
// digits).
func parsable(entry string) bool {
	name, _, _ := strings.Cut(entry, ".")
	subtags := strings.Split(strings.ReplaceAll(name, "-", "_"), "_")
	if l := subtags[0]; (len(l) != 2 && len(l) != 3) || !all(l, isLetter) {
		return false
	}
	subtags = subtags[1:]
	if len(subtags) > 0 && len(subtags[0]) == 4 && all(subtags[0], isLetter) {
		subtags = subtags[1:]
	}
	if len(subtags) > 0 {
		r := subtags[0]
		if !(len(r) == 2 && all(r, isLetter) || len(r) == 3 && all(r, isDigit)) {
			return false
		}
		subtags = subtags[1:]
	}
	return len(subtags) == 0
}

func all(s string, f func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !f(s[i]) {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
