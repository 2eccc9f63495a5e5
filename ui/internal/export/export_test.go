package export

import "testing"

func TestCSVSafe(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""}, {"site", "site"}, {"=1+1", "'=1+1"}, {"+1", "'+1"}, {"-1", "'-1"}, {"@x", "'@x"},
		{"\tx", "'\tx"}, {"\rx", "'\rx"}, {"a=b", "a=b"}, {"'x", "'x"},
	}
	for _, tt := range tests {
		if got := CSVSafe(tt.in); got != tt.want {
			t.Errorf("CSVSafe(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
