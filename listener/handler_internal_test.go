package listener

import (
	"encoding/json"
	"testing"
)

// acceptedBody hand-builds the answer to an accepted delivery; it must be
// byte for byte what writeJSON makes of the answer.
func TestAcceptedBodyIsTheAnswer(t *testing.T) {
	for _, c := range []struct {
		result string
		id     int64
	}{{"ok", 1}, {"duplicate", 42}, {"ok", 1 << 40}} {
		id := c.id
		want, _ := json.Marshal(answer{Result: c.result, ID: &id})
		want = append(want, '\n')
		if got := acceptedBody(c.result, c.id); string(got) != string(want) {
			t.Errorf("acceptedBody(%q, %d) = %s, want %s", c.result, c.id, got, want)
		}
	}
}
