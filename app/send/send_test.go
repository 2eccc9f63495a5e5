package send

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ipfwatch/ipfwatch/listener"
	"github.com/ipfwatch/ipfwatch/listener/webhook"
)

func TestBodyParsesAsIPFabricSends(t *testing.T) {
	at := time.UnixMilli(1700000000123)
	tests := []struct {
		p    Payload
		want webhook.Payload
	}{
		{Payload{Time: at, SnapshotID: "s1", SnapshotName: "DC1"},
			webhook.Payload{Type: "snapshot", Action: "discover", Status: "completed", Requester: "user:1", TimestampMillis: 1700000000123, SnapshotID: "s1", SnapshotName: "DC1"}},
		{Payload{Time: at, Type: "intent-verification", SnapshotID: "s2", Test: true},
			webhook.Payload{Type: "intent-verification", Action: "calculate", Status: "completed", Requester: "snapshot:discover", TimestampMillis: 1700000000123, SnapshotID: "s2", Test: true, ReportIDs: []string{"1"}}},
		{Payload{Time: at, Status: "failed", Reason: "license expired", SnapshotID: "s3"},
			webhook.Payload{Type: "snapshot", Action: "discover", Status: "failed", Reason: "license expired", Requester: "user:1", TimestampMillis: 1700000000123, SnapshotID: "s3"}},
	}
	for _, tt := range tests {
		e, err := webhook.Parse(Body(tt.p))
		if err != nil {
			t.Errorf("%+v: %v", tt.p, err)
			continue
		}
		if len(e.Unrecognised) != 0 || e.Type != tt.want.Type || e.Action != tt.want.Action || e.Status != tt.want.Status ||
			e.Requester != tt.want.Requester || e.TimestampMillis != tt.want.TimestampMillis || e.SnapshotID != tt.want.SnapshotID ||
			e.SnapshotName != tt.want.SnapshotName || e.Test != tt.want.Test || e.Reason != tt.want.Reason {
			t.Errorf("%+v parsed as %+v, want %+v", tt.p, e, tt.want)
		}
	}
	if a, b := Body(Payload{}), Body(Payload{}); string(a) == string(b) {
		t.Errorf("two default payloads are identical; they would be taken as duplicates")
	}
}

// TestCurlIsExact runs the printed curl command's quoting through a real
// POSIX shell and checks the body and header arrive byte for byte, quotes
// included.
func TestCurlIsExact(t *testing.T) {
	var gotBody, gotSig string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		gotBody, gotSig = string(b), r.Header.Get("X-IPF-Signature")
	}))
	defer srv.Close()
	body := []byte(`{"type":"snapshot","reason":"it's $(broken) ` + "`x`" + `","timestamp":1}`)
	cmd := Curl(srv.URL+"/ipfabric", body, "abc123")
	if _, err := exec.LookPath("curl"); err != nil {
		// Without curl, check the quoting alone by echoing the arguments.
		cmd = strings.Replace(cmd, "curl ", "printf '%s\\n' ", 1)
	}
	out, err := exec.Command("/bin/sh", "-c", cmd).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, out)
	}
	if gotBody == "" {
		// printf path: the body is one of the printed arguments.
		if !strings.Contains(string(out), string(body)) {
			t.Fatalf("body not passed verbatim:\n%s", out)
		}
		return
	}
	if gotBody != string(body) || gotSig != "abc123" {
		t.Errorf("server got %q / %q", gotBody, gotSig)
	}
}

func TestDoAndSigned(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		ok := r.Header.Get("X-IPF-Signature") == listener.Sign(b, "k")
		json.NewEncoder(w).Encode(map[string]bool{"ok": ok})
	}))
	defer srv.Close()
	ans, err := Signed(context.Background(), srv.URL, "k", []byte(`{}`))
	if err != nil || ans.Status != 200 || ans.Body != `{"ok":true}` {
		t.Errorf("Signed: %+v %v", ans, err)
	}
	ans, err = Do(context.Background(), nil, srv.URL, []byte(`{}`), "")
	if err != nil || ans.Body != `{"ok":false}` {
		t.Errorf("unsigned: %+v %v", ans, err)
	}
}
