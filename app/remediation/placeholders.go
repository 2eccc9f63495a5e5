package remediation

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/ipfwatch/ipfwatch/listener/webhook"
)

// placeholderRE finds {{ name }} in an argument.
var placeholderRE = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)

// safeValueRE is what a value must look like to be put into an argument.
// Payload data is untrusted; only identifier-shaped values pass, so even a
// program that hands its arguments to a shell cannot be steered by them.
var safeValueRE = regexp.MustCompile(`^[A-Za-z0-9_$-]+$`)

// placeholders maps each known placeholder to the event field it reads.
var placeholders = map[string]func(webhook.Event) string{
	"snapshot.id": func(e webhook.Event) string { return e.SnapshotID },
	"snapshotId":  func(e webhook.Event) string { return e.SnapshotID },
	"event.id":    func(e webhook.Event) string { return strconv.FormatInt(e.ID, 10) },
	"action":      func(e webhook.Event) string { return e.Action },
	"status":      func(e webhook.Event) string { return e.Status },
}

// ErrUnsafeValue is wrapped by Resolve when an event field used in a
// placeholder is empty or holds anything but letters, digits, '-', '_', '$'.
var ErrUnsafeValue = errors.New("value not allowed in a command argument")

// checkPlaceholders reports an unknown or malformed placeholder in s.
func checkPlaceholders(s string) error {
	for _, m := range placeholderRE.FindAllStringSubmatch(s, -1) {
		if _, ok := placeholders[m[1]]; !ok {
			return fmt.Errorf("unknown placeholder {{%s}} (known: {{snapshot.id}}, {{snapshotId}}, {{event.id}}, {{action}}, {{status}})", m[1])
		}
	}
	rest := placeholderRE.ReplaceAllString(s, "")
	if strings.Contains(rest, "{{") || strings.Contains(rest, "}}") {
		return errors.New("unbalanced {{ or }}")
	}
	return nil
}

// fill replaces the placeholders of s with the event's values, refusing any
// value that is not identifier-shaped.
func fill(s string, e webhook.Event) (string, error) {
	var err error
	out := placeholderRE.ReplaceAllStringFunc(s, func(m string) string {
		name := placeholderRE.FindStringSubmatch(m)[1]
		get, ok := placeholders[name]
		if !ok {
			if err == nil {
				err = fmt.Errorf("unknown placeholder {{%s}}", name)
			}
			return m
		}
		v := get(e)
		if !safeValueRE.MatchString(v) {
			if err == nil {
				err = fmt.Errorf("{{%s}} = %q: %w (only letters, digits, '-', '_', '$')", name, v, ErrUnsafeValue)
			}
			return m
		}
		return v
	})
	return out, err
}
