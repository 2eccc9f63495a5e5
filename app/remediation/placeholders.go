package remediation

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/ipfwatch/ipfwatch/app/ipf"
	"github.com/ipfwatch/ipfwatch/listener/webhook"
)

// placeholderRE finds {{ name }} in an argument.
var placeholderRE = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)

// safeValueRE is what a value must look like to be put into an argument.
// Payload data is untrusted; only identifier-shaped values pass, so even a
// program that hands its arguments to a shell cannot be steered by them.
var safeValueRE = regexp.MustCompile(`^[A-Za-z0-9_$-]+$`)

// subject is what a proposal is made for: an event, and for a rule with
// an intent condition, one of the event's intent checks.
type subject struct {
	event webhook.Event
	check *ipf.Check
}

// placeholders maps each known placeholder to the field it reads.
var placeholders = map[string]func(subject) string{
	"snapshot.id": func(s subject) string { return s.event.SnapshotID },
	"snapshotId":  func(s subject) string { return s.event.SnapshotID },
	"event.id":    func(s subject) string { return strconv.FormatInt(s.event.ID, 10) },
	"action":      func(s subject) string { return s.event.Action },
	"status":      func(s subject) string { return s.event.Status },
	"check.id": func(s subject) string {
		if s.check == nil {
			return ""
		}
		return s.check.ID
	},
}

// ErrUnsafeValue is wrapped by Resolve when an event field used in a
// placeholder is empty or holds anything but letters, digits, '-', '_', '$'.
var ErrUnsafeValue = errors.New("value not allowed in a command argument")

// checkPlaceholders reports an unknown or malformed placeholder in s.
func checkPlaceholders(s string) error {
	for _, m := range placeholderRE.FindAllStringSubmatch(s, -1) {
		if _, ok := placeholders[m[1]]; !ok {
			return fmt.Errorf("unknown placeholder {{%s}} (known: {{snapshot.id}}, {{snapshotId}}, {{event.id}}, {{action}}, {{status}}, {{check.id}})", m[1])
		}
	}
	rest := placeholderRE.ReplaceAllString(s, "")
	if strings.Contains(rest, "{{") || strings.Contains(rest, "}}") {
		return errors.New("unbalanced {{ or }}")
	}
	return nil
}

// fill replaces the placeholders of s with the subject's values, refusing
// any value that is not identifier-shaped.
func fill(s string, e subject) (string, error) {
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
