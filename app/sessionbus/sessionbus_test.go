package sessionbus

import "testing"

func TestMissing(t *testing.T) {
	none := func(string) bool { return false }
	all := func(string) bool { return true }
	tests := []struct {
		name   string
		goos   string
		env    map[string]string
		exists func(string) bool
		want   bool
	}{
		{"linux, no bus anywhere", "linux", nil, none, true},
		{"linux, address set", "linux", map[string]string{"DBUS_SESSION_BUS_ADDRESS": "unix:path=/tmp/x"}, none, false},
		{"linux, autolaunch: is not a bus", "linux", map[string]string{"DBUS_SESSION_BUS_ADDRESS": "autolaunch:"}, none, true},
		{"linux, systemd user bus", "linux", nil, all, false},
		{"freebsd, no bus", "freebsd", nil, none, true},
		{"darwin needs none", "darwin", nil, none, false},
		{"windows needs none", "windows", nil, none, false},
	}
	for _, tt := range tests {
		got := missing(tt.goos, func(k string) string { return tt.env[k] }, tt.exists)
		if got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}
