package webhook

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The two event types IP Fabric documents, and the values it documents for
// them. Anything else from a correctly signed sender is kept and listed in
// Payload.Unrecognised.
const (
	TypeSnapshot           = "snapshot"
	TypeIntentVerification = "intent-verification"
)

var (
	snapshotActions = []string{"discover", "clone", "delete", "download", "load", "unload"}
	intentActions   = []string{"calculate"}
	statuses        = []string{"started", "completed", "failed", "resumed", "resumed (stopping)", "stopped"}

	commonFields   = []string{"type", "action", "status", "reason", "requester", "timestamp", "test"}
	snapshotFields = []string{"snapshot"}
	intentFields   = []string{"reportId", "snapshotId"}
	snapshotObject = []string{"id", "name", "cloneId", "file"}
)

// Bounds of a usable timestamp in epoch milliseconds: 1970-01-01 to the end
// of year 9999. Outside them the value cannot be a real event time and would
// overflow time arithmetic.
const (
	secondsBelow = 1e11
	maxMillis    = 253402300799999
)

// PayloadError says which field of a signed body is unusable and why. Field
// is a JSON path such as "timestamp", "snapshot.id" or "reportId[1]", or
// "(body)" when the body as a whole is not a JSON object.
type PayloadError struct {
	Field  string
	Reason string
}

func (e *PayloadError) Error() string {
	return "invalid payload: " + e.Field + ": " + e.Reason
}

// BodyField is PayloadError.Field when the body as a whole is at fault.
const BodyField = "(body)"

// Parse reads an IP Fabric webhook body. It fails only when the body is not a
// JSON object, lacks "type" or "timestamp", or a field the model knows has the
// wrong JSON type; then err is a *PayloadError. Unknown types, actions,
// statuses, requesters and extra fields are accepted and listed in
// Payload.Unrecognised, because a correctly signed sender is more likely newer
// than us than wrong. JSON null counts as absent.
//
// Leniencies, each for a reason: "reportId" may be a string, a number or a
// list of either (IP Fabric's own SDK converts it with str()); "timestamp"
// below 1e11 is taken as seconds, and a fractional value is rounded to the
// millisecond.
func Parse(body []byte) (Payload, error) {
	var e Payload
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return e, &PayloadError{Field: BodyField, Reason: "not a JSON object"}
	}
	top, err := objectFields(body)
	if err != nil {
		return e, &PayloadError{Field: BodyField, Reason: "not valid JSON: " + jsonReason(err)}
	}

	var unrec []string
	typ, ok, err := stringField(top, "type")
	switch {
	case err != nil:
		return e, err
	case !ok || typ == "":
		return e, &PayloadError{Field: "type", Reason: "missing"}
	}
	e.Type = typ

	raw, ok := top["timestamp"]
	if !ok || isNull(raw) {
		return e, &PayloadError{Field: "timestamp", Reason: "missing"}
	}
	if e.TimestampMillis, err = parseTimestamp(raw); err != nil {
		return e, err
	}

	if e.Action, _, err = stringField(top, "action"); err != nil {
		return e, err
	}
	if e.Status, _, err = stringField(top, "status"); err != nil {
		return e, err
	}
	if e.Reason, _, err = stringField(top, "reason"); err != nil {
		return e, err
	}
	if e.Requester, _, err = stringField(top, "requester"); err != nil {
		return e, err
	}
	if raw, ok := top["test"]; ok && !isNull(raw) {
		if err := json.Unmarshal(raw, &e.Test); err != nil {
			return e, &PayloadError{Field: "test", Reason: "must be true or false"}
		}
	}
	if raw, ok := top["snapshot"]; ok && !isNull(raw) {
		more, err := parseSnapshotObject(raw, &e)
		if err != nil {
			return e, err
		}
		unrec = append(unrec, more...)
	}
	snapshotID, hasSnapshotID, err := stringField(top, "snapshotId")
	if err != nil {
		return e, err
	}
	if e.SnapshotID == "" && hasSnapshotID {
		e.SnapshotID = snapshotID
	}
	if raw, ok := top["reportId"]; ok && !isNull(raw) {
		if e.ReportIDs, err = parseReportIDs(raw); err != nil {
			return e, err
		}
	}

	var known []string
	switch e.Type {
	case TypeSnapshot, TypeIntentVerification:
		m := models[e.Type]
		known = m.fields
		if !slices.Contains(m.actions, e.Action) {
			unrec = append(unrec, "action")
		}
		if !m.requester(e.Requester) {
			unrec = append(unrec, "requester")
		}
	default:
		// Nothing is known about the values of an unknown type; only fields
		// outside everything we model are worth pointing out.
		unrec = append(unrec, "type")
		known = append(append([]string{}, snapshotFields...), intentFields...)
	}
	if (e.Type == TypeSnapshot || e.Type == TypeIntentVerification) && !slices.Contains(statuses, e.Status) {
		unrec = append(unrec, "status")
	}
	for name := range top {
		if !slices.Contains(commonFields, name) && !slices.Contains(known, name) {
			unrec = append(unrec, "field:"+name)
		}
	}
	if len(unrec) > 0 {
		sort.Strings(unrec)
		e.Unrecognised = unrec
	}
	return e, nil
}

// models says, for each documented type, the fields, actions and
// requesters IP Fabric documents for it.
var models = map[string]struct {
	fields, actions []string
	requester       func(string) bool
}{
	TypeSnapshot:           {snapshotFields, snapshotActions, snapshotRequester},
	TypeIntentVerification: {intentFields, intentActions, intentRequester},
}

// snapshotRequester reports whether r is a documented snapshot requester:
// "cron" or "user:<id>".
func snapshotRequester(r string) bool {
	id, ok := strings.CutPrefix(r, "user:")
	return r == "cron" || ok && id != ""
}

// intentRequester reports whether r is a documented intent-verification
// requester: "cron", "user", "snapshot:<action>" or "recalculateSites".
func intentRequester(r string) bool {
	switch r {
	case "cron", "user", "recalculateSites":
		return true
	}
	action, ok := strings.CutPrefix(r, "snapshot:")
	return ok && action != ""
}

func isNull(raw json.RawMessage) bool {
	return string(bytes.TrimSpace(raw)) == "null"
}

// stringField returns the string at name; ok is false when it is absent or
// null.
func stringField(obj map[string]json.RawMessage, name string) (s string, ok bool, err error) {
	return stringAt(obj, name, name)
}

func stringAt(obj map[string]json.RawMessage, name, path string) (string, bool, error) {
	raw, ok := obj[name]
	if !ok || isNull(raw) {
		return "", false, nil
	}
	s, ok := jsonString(raw)
	if !ok {
		return "", false, &PayloadError{Field: path, Reason: "must be a string"}
	}
	return s, true, nil
}

// jsonString decodes raw, one JSON value out of an object encoding/json has
// already checked, if it is a string. One with no escapes and valid UTF-8
// decodes to its bytes between the quotes, which spares the second pass of
// json.Unmarshal for nearly every field IP Fabric sends; anything else is
// left to json.Unmarshal (FuzzJSONString holds the two equal).
func jsonString(raw []byte) (string, bool) {
	if n := len(raw); n >= 2 && raw[0] == '"' && raw[n-1] == '"' {
		inner := raw[1 : n-1]
		if bytes.IndexByte(inner, '\\') < 0 && bytes.IndexByte(inner, '"') < 0 && !hasControl(inner) && utf8.Valid(inner) {
			return string(inner), true
		}
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

func hasControl(b []byte) bool {
	for _, c := range b {
		if c < 0x20 {
			return true
		}
	}
	return false
}

// parseSnapshotObject fills the snapshot fields of e and returns the
// unrecognised keys inside the object as "field:snapshot.<name>".
func parseSnapshotObject(raw json.RawMessage, e *Payload) ([]string, error) {
	if b := bytes.TrimSpace(raw); len(b) == 0 || b[0] != '{' {
		return nil, &PayloadError{Field: "snapshot", Reason: "must be an object"}
	}
	obj, err := objectFields(raw)
	if err != nil {
		return nil, &PayloadError{Field: "snapshot", Reason: "must be an object"}
	}
	if e.SnapshotID, _, err = stringAt(obj, "id", "snapshot.id"); err != nil {
		return nil, err
	}
	if e.SnapshotName, _, err = stringAt(obj, "name", "snapshot.name"); err != nil {
		return nil, err
	}
	if e.CloneID, _, err = stringAt(obj, "cloneId", "snapshot.cloneId"); err != nil {
		return nil, err
	}
	if e.File, _, err = stringAt(obj, "file", "snapshot.file"); err != nil {
		return nil, err
	}
	var unrec []string
	for name := range obj {
		if !slices.Contains(snapshotObject, name) {
			unrec = append(unrec, "field:snapshot."+name)
		}
	}
	return unrec, nil
}

// parseReportIDs accepts a string, a number, or a list of strings and
// numbers. Numbers are kept as written.
func parseReportIDs(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, &PayloadError{Field: "reportId", Reason: "must be a string or a list of strings"}
		}
		ids := make([]string, 0, len(items))
		for i, item := range items {
			id, ok := reportID(item)
			if !ok {
				return nil, &PayloadError{Field: "reportId[" + strconv.Itoa(i) + "]", Reason: "must be a string"}
			}
			ids = append(ids, id)
		}
		return ids, nil
	}
	id, ok := reportID(raw)
	if !ok {
		return nil, &PayloadError{Field: "reportId", Reason: "must be a string or a list of strings"}
	}
	return []string{id}, nil
}

func reportID(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", false
	}
	switch c := raw[0]; {
	case c == '"':
		return jsonString(raw)
	case c == '-' || '0' <= c && c <= '9':
		return string(raw), true
	}
	return "", false
}

// parseTimestamp returns the JSON number raw as epoch milliseconds.
func parseTimestamp(raw json.RawMessage) (int64, error) {
	s := string(bytes.TrimSpace(raw))
	if s == "" || !(s[0] == '-' || '0' <= s[0] && s[0] <= '9') {
		return 0, &PayloadError{Field: "timestamp", Reason: "must be a number (epoch milliseconds)"}
	}
	outOfRange := &PayloadError{Field: "timestamp", Reason: "out of range (epoch milliseconds from 1970 to 9999)"}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		if v < 0 {
			return 0, outOfRange
		}
		if v < secondsBelow {
			v *= 1000
		}
		if v > maxMillis {
			return 0, outOfRange
		}
		return v, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		return 0, outOfRange
	}
	if f < secondsBelow {
		f *= 1000
	}
	f = math.Round(f)
	if f > maxMillis {
		return 0, outOfRange
	}
	return int64(f), nil
}

// jsonReason shortens an encoding/json error to what helps the sender.
func jsonReason(err error) string {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return syn.Error() + " at byte " + strconv.FormatInt(syn.Offset, 10)
	}
	return err.Error()
}

// Key returns the de-duplication key of e: a lowercase hex SHA-256 over its
// type, action, status, snapshot id, report ids (as a set), timestamp in
// milliseconds and test flag. Two deliveries of one event have the same key
// however their JSON is formatted, so an IP Fabric retry is recognised even
// if the body was re-encoded; events that differ in any of these fields
// have different keys. Each field is length-prefixed, so no choice of
// values can make two different events collide by concatenation.
func Key(e Payload) string {
	h := sha256.New()
	field := func(s string) {
		h.Write(strconv.AppendInt(nil, int64(len(s)), 10))
		h.Write([]byte{':'})
		h.Write([]byte(s))
		h.Write([]byte{';'})
	}
	field(e.Type)
	field(e.Action)
	field(e.Status)
	field(e.SnapshotID)
	ids := slices.Clone(e.ReportIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	field(strconv.Itoa(len(ids)))
	for _, id := range ids {
		field(id)
	}
	field(strconv.FormatInt(e.TimestampMillis, 10))
	field(strconv.FormatBool(e.Test))
	return hex.EncodeToString(h.Sum(nil))
}
