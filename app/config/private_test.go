package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipfwatch/ipfwatch/app/testdir"
)

// TestWritePrivateFile: the file holds exactly the data, only the user can
// read it (checked per OS by assertPrivate), replacing a file that others
// could read makes it private, and no temporary file is left behind.
func TestWritePrivateFile(t *testing.T) {
	dir := testdir.New(t)
	cases := []struct {
		name    string
		path    string
		before  []byte // an existing file, written world-readable, or nil
		data    []byte
		wantErr string
	}{
		{name: "new file", path: "secret.current", data: []byte("s3cret\n")},
		{name: "in a directory yet to exist", path: filepath.Join("sub", "dir", "token"), data: []byte("tok")},
		{name: "replaces a readable file", path: "secret.previous", before: []byte("old, readable by all\n"), data: []byte("new\n")},
		{name: "empty", path: "empty", data: []byte{}},
		{name: "parent is a file", path: filepath.Join("secret.current", "x"), data: []byte("x"), wantErr: "secret.current"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, c.path)
			if c.before != nil {
				if err := os.WriteFile(path, c.before, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			err := writePrivateFile(path, c.data)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want one naming %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(c.data) {
				t.Errorf("file holds %q, want %q", got, c.data)
			}
			assertPrivate(t, path)
			entries, err := os.ReadDir(filepath.Dir(path))
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				if strings.Contains(e.Name(), ".tmp") {
					t.Errorf("temporary file %s left behind", e.Name())
				}
			}
		})
	}
}

// TestSecretFileIsPrivate: SecretStore writes the secret file with
// writePrivateFile.
func TestSecretFileIsPrivate(t *testing.T) {
	dir := testdir.New(t)
	s := NewSecretStore(dir, false)
	s.getenv = func(string) string { return "" }
	if src, err := s.Set(Current, "abc"); err != nil || src != FromFile {
		t.Fatalf("Set: %v %v", src, err)
	}
	assertPrivate(t, SecretFile(dir, Current))
	if v, src, err := s.Get(Current); v != "abc" || src != FromFile || err != nil {
		t.Errorf("Get: %q %v %v", v, src, err)
	}
}
