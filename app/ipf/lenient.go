package ipf

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// IP Fabric's answers are only documented by hand-written fixtures, so the
// client reads them leniently: every answer is decoded into plain JSON values
// (maps, slices, json.Number) and fields are picked out with the helpers
// below, which never fail. A count may be a number or a string, a name may be
// null, a list may be missing: each reads as its zero value instead of
// failing the whole answer.

// decodeJSON parses body into plain JSON values, keeping numbers exact.
func decodeJSON(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	// A second value after the first means the body is not one JSON document.
	if dec.More() {
		return nil, errTrailingData
	}
	return v, nil
}

var errTrailingData = jsonError("unexpected data after the JSON value")

type jsonError string

func (e jsonError) Error() string { return string(e) }

// obj returns v as a JSON object, or nil when it is anything else.
func obj(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// list returns v as a JSON array, or nil when it is anything else.
func list(v any) []any {
	l, _ := v.([]any)
	return l
}

// str reads a JSON string; numbers and booleans read as their text, null and
// containers as "".
func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

// num64 reads a JSON number or a numeric string as an int64; anything else
// (null, an object, "n/a", NaN, out of range) reads as 0.
func num64(v any) int64 {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = x.String()
	case string:
		s = strings.TrimSpace(x)
	case float64: // values not produced by decodeJSON, e.g. built in tests
		s = strconv.FormatFloat(x, 'f', -1, 64)
	case int:
		return int64(x)
	default:
		return 0
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f > math.MaxInt64 || f < math.MinInt64 {
		return 0
	}
	return int64(f)
}

// count reads a count: like num64, but never negative and clamped to an int.
func count(v any) int {
	n := num64(v)
	if n < 0 {
		return 0
	}
	if n > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(n)
}
