package failures

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/ipfwatch/ipfwatch/listener"
	"github.com/ipfwatch/ipfwatch/listener/webhook"
)

func sig(hint string) webhook.Rejection {
	return webhook.Rejection{Reason: listener.ReasonInvalidSignature, Hint: hint}
}

func TestLikelyCause(t *testing.T) {
	stale := webhook.Rejection{Reason: listener.ReasonStale, Hint: "event is 2h0m0s old (max age 1h0m0s)"}
	many := make([]webhook.Rejection, 0, causeWindow+10)
	for range causeWindow {
		many = append(many, sig(listener.HintTrailingNewline))
	}
	for range 10 {
		many = append(many, sig(listener.HintHeaderMissing)) // older than the window
	}
	tests := []struct {
		name string
		rows []webhook.Rejection
		want string
	}{
		{name: "none", rows: nil, want: ""},
		{name: "previous secret", rows: []webhook.Rejection{sig(listener.HintPreviousSecret)}, want: CausePreviousSecret},
		{name: "header missing", rows: []webhook.Rejection{sig(listener.HintHeaderMissing)}, want: CauseHeaderMissing},
		{name: "trailing newline", rows: []webhook.Rejection{sig(listener.HintTrailingNewline)}, want: CauseTrailingNewline},
		{name: "uppercase", rows: []webhook.Rejection{sig(listener.HintUppercaseHex)}, want: CauseUppercaseHex},
		{name: "not hex", rows: []webhook.Rejection{sig(listener.HintNotHex)}, want: CauseMalformed},
		{name: "wrong length", rows: []webhook.Rejection{sig(listener.HintWrongLength)}, want: CauseMalformed},
		{name: "plain mismatch", rows: []webhook.Rejection{sig("")}, want: CauseSecretMismatch},
		{name: "stale", rows: []webhook.Rejection{stale}, want: CauseStale},
		{name: "unconfigured", rows: []webhook.Rejection{{Reason: listener.ReasonUnconfigured}}, want: CauseUnconfigured},
		{name: "too large", rows: []webhook.Rejection{{Reason: listener.ReasonTooLarge}}, want: CauseTooLarge},
		{name: "method", rows: []webhook.Rejection{{Reason: listener.ReasonMethodNotAllowed}}, want: CauseMethod},
		{name: "invalid payload names the field",
			rows: []webhook.Rejection{{Reason: listener.ReasonInvalidPayload, Hint: "timestamp: missing"}},
			want: "Deliveries are signed correctly but are not IP Fabric payloads (timestamp: missing): the sender may be another tool or a newer IP Fabric version."},
		{name: "unknown reason", rows: []webhook.Rejection{{Reason: "Teapot\n"}}, want: "Deliveries are refused: Teapot\\x0a."},
		{name: "majority wins over the newest",
			rows: []webhook.Rejection{sig(listener.HintHeaderMissing), sig(listener.HintPreviousSecret), sig(listener.HintPreviousSecret)},
			want: CausePreviousSecret},
		{name: "tie goes to the newest",
			rows: []webhook.Rejection{stale, sig(listener.HintPreviousSecret), sig(listener.HintPreviousSecret), stale},
			want: CauseStale},
		{name: "only the newest window counts", rows: append([]webhook.Rejection{sig(listener.HintHeaderMissing)}, many...),
			want: CauseTrailingNewline},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := LikelyCause(tt.rows); got != tt.want {
				t.Errorf("LikelyCause = %q\nwant          %q", got, tt.want)
			}
		})
	}
}

func TestPreview(t *testing.T) {
	big := bytes.Repeat([]byte("a"), maxPreview+100)
	tests := []struct {
		name string
		body []byte
		size int64
		want string
	}{
		{name: "plain json", body: []byte(`{"a":1}`), size: 7, want: `{"a":1}`},
		{name: "newlines and tabs kept", body: []byte("a\n\tb"), size: 4, want: "a\n\tb"},
		{name: "control bytes", body: []byte("a\x00b\x1b[0m\r"), size: 8, want: `a\x00b\x1b[0m\x0d`},
		{name: "backslash doubled", body: []byte(`a\x00`), size: 5, want: `a\\x00`},
		{name: "invalid utf8", body: []byte("a\xff\xfeb"), size: 4, want: `a\xff\xfeb`},
		{name: "bidi override", body: []byte("a\u202eb"), size: 5, want: `a\xe2\x80\xaeb`},
		{name: "unicode kept", body: []byte("Zürich 東京"), size: 14, want: "Zürich 東京"},
		{name: "truncated by the store", body: []byte("abc"), size: 10, want: "abc\n… the first 3 of 10 bytes"},
		{name: "cut at 4 KiB", body: big, size: int64(len(big)), want: strings.Repeat("a", maxPreview) + "\n… the first 4096 of 4196 bytes"},
		{name: "empty", body: nil, size: 0, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Preview(tt.body, tt.size); got != tt.want {
				t.Errorf("Preview = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestHeaders(t *testing.T) {
	tests := []struct {
		in   map[string]string
		want string
	}{
		{nil, "(none recorded)"},
		{map[string]string{"B": "2", "A": "1"}, "A: 1\nB: 2"},
		{map[string]string{"X": "a\nb\u202e"}, `X: a\x0ab\xe2\x80\xae`},
	}
	for _, tt := range tests {
		if got := Headers(tt.in); got != tt.want {
			t.Errorf("Headers(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func exportRow() webhook.Rejection {
	return webhook.Rejection{ID: 4, ReceivedAt: time.Date(2025, 3, 4, 9, 0, 0, 5e6, time.FixedZone("CET", 3600)),
		RemoteAddr: "192.0.2.20:41000", Method: "POST", Path: "/ipfabric", UserAgent: "IPF", Size: 8, Status: 400,
		Reason: listener.ReasonInvalidSignature, Hint: listener.HintUppercaseHex, Signature: "AB", BodySHA256: "cd",
		BodyPreview: []byte("{\"a\":\x00}\n"), Headers: map[string]string{"B": "2", "A": "1"}}
}

func TestWriteCSV(t *testing.T) {
	const header = "id,received_at,remote_addr,method,path,user_agent,size,status,reason,hint,likely_cause,signature,body_sha256,headers,body_preview\n"
	tests := []struct {
		name string
		edit func(r *webhook.Rejection)
		want string
	}{
		{name: "plain", edit: func(*webhook.Rejection) {},
			want: "4,2025-03-04T08:00:00.005Z,192.0.2.20:41000,POST,/ipfabric,IPF,8,400,Invalid message signature,uppercase hex,\"" + CauseUppercaseHex + "\",AB,cd,\"{\"\"A\"\":\"\"1\"\",\"\"B\"\":\"\"2\"\"}\",\"{\"\"a\"\":\\x00}\n\"\n"},
		{name: "formulas defused", edit: func(r *webhook.Rejection) {
			r.UserAgent, r.Path, r.Signature, r.BodyPreview = "=cmd|' /C calc'!A0", "+x", "@x", []byte("-2+3")
			r.Size = 4
		},
			want: "4,2025-03-04T08:00:00.005Z,192.0.2.20:41000,POST,'+x,'=cmd|' /C calc'!A0,4,400,Invalid message signature,uppercase hex,\"" + CauseUppercaseHex + "\",'@x,cd,\"{\"\"A\"\":\"\"1\"\",\"\"B\"\":\"\"2\"\"}\",'-2+3\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := exportRow()
			tt.edit(&r)
			var b bytes.Buffer
			if err := WriteCSV(&b, []webhook.Rejection{r}); err != nil {
				t.Fatal(err)
			}
			if b.String() != header+tt.want {
				t.Errorf("CSV =\n%q\nwant\n%q", b.String(), header+tt.want)
			}
			recs, err := csv.NewReader(&b).ReadAll()
			if err != nil || len(recs) != 2 || len(recs[1]) != len(exportHeader) {
				t.Errorf("CSV does not parse back: %d records, %v", len(recs), err)
			}
		})
	}
}

func TestWriteJSON(t *testing.T) {
	tests := []struct {
		name string
		rows []webhook.Rejection
		want string
	}{
		{name: "none", want: "[]\n"},
		{name: "one", rows: []webhook.Rejection{exportRow()}, want: `[
  {
    "id": 4,
    "received_at": "2025-03-04T08:00:00.005Z",
    "remote_addr": "192.0.2.20:41000",
    "method": "POST",
    "path": "/ipfabric",
    "user_agent": "IPF",
    "size": 8,
    "status": 400,
    "reason": "Invalid message signature",
    "hint": "uppercase hex",
    "likely_cause": "` + CauseUppercaseHex + `",
    "signature": "AB",
    "body_sha256": "cd",
    "headers": {
      "A": "1",
      "B": "2"
    },
    "body_preview": "{\"a\":\\x00}\n"
  }
]
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteJSON(&b, tt.rows); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("JSON =\n%s\nwant\n%s", b.String(), tt.want)
			}
		})
	}
}
