package viewkit

import "testing"

func TestOneLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{"site-A", "site-A"}, {"a b", "a b"}, {"a\nb\r\tc", "a\uFFFDb\uFFFD\uFFFDc"}, {"x\u202ey", "x\uFFFDy"},
		{"bad\xff", "bad\uFFFD"}, {"Zürich 東京", "Zürich 東京"}, {"del\x7f", "del\uFFFD"},
	}
	for _, tt := range tests {
		if got := OneLine(tt.in); got != tt.want {
			t.Errorf("OneLine(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
