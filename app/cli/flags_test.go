package cli

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipfwatch/ipfwatch/app"
	"github.com/ipfwatch/ipfwatch/app/config"
)

func TestSplitCommand(t *testing.T) {
	tests := []struct {
		args     []string
		wantName string
		wantRest []string
	}{
		{[]string{"log", "--json"}, "log", []string{"--json"}},
		{[]string{"--data-dir", "/x", "log", "--json"}, "log", []string{"--data-dir", "/x", "--json"}},
		{[]string{"--listen=:1", "-db", "/d", "serve"}, "serve", []string{"--listen=:1", "-db", "/d"}},
		{[]string{"--data-dir", "/x", "reject", "7", "--comment", "not now"}, "reject", []string{"--data-dir", "/x", "7", "--comment", "not now"}},
		{[]string{"--data-dir", "/x"}, "", []string{"--data-dir", "/x"}},
		{[]string{"--help"}, "", []string{"--help"}},
		{[]string{"frobnicate"}, "frobnicate", []string{}},
		{[]string{"--data-dir", "/x", "frobnicate"}, "", []string{"--data-dir", "/x", "frobnicate"}},
		{[]string{"--json", "log"}, "", []string{"--json", "log"}},
		{nil, "", nil},
	}
	for _, tt := range tests {
		name, rest := splitCommand(tt.args)
		if name != tt.wantName || !slices.Equal(rest, tt.wantRest) {
			t.Errorf("splitCommand(%q) = %q %q, want %q %q", tt.args, name, rest, tt.wantName, tt.wantRest)
		}
	}
}

func noDisplayEnv(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// TestGlobalFlagsBeforeCommand: flags every command takes may come before
// the command name; the command runs, not the tray app (nor its headless
// fallback).
func TestGlobalFlagsBeforeCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	code := Run([]string{"--listen", "bad-address", "--data-dir", t.TempDir(), "log"},
		Env{Stdout: &out, Stderr: &errOut, Getenv: noDisplayEnv(nil)})
	if code != 0 || !strings.Contains(out.String(), "no events") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
}

// TestBadEnvironmentValue: an IPFWATCH_* value that cannot be read stops
// the command with exit 2 instead of being silently ignored.
func TestBadEnvironmentValue(t *testing.T) {
	var out, errOut bytes.Buffer
	code := Run([]string{"version"}, Env{Stdout: &out, Stderr: &errOut,
		Getenv: noDisplayEnv(map[string]string{"IPFWATCH_MAX_AGE": "an hour"})})
	if code != 2 || !strings.Contains(errOut.String(), "IPFWATCH_MAX_AGE") {
		t.Errorf("exit %d, stderr %q", code, errOut.String())
	}
}

func writeSelfSigned(t *testing.T, dir string) (string, string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "laptop.example"},
		DNSNames: []string{"laptop.example"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	cert, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return cert, keyFile
}

func startApp(t *testing.T, dir string, o config.Overrides) *app.App {
	t.Helper()
	a, err := app.Open(app.Options{DataDir: dir, Overrides: o, NoRunner: true,
		Sender: nopSender{}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Shutdown(context.Background()) })
	if _, err := a.SetSecret(config.Current, "cli-secret"); err != nil {
		t.Fatal(err)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return a
}

type nopSender struct{}

func (nopSender) Send(string, string, bool) error { return nil }

// TestSendFindsTheListener: without --url, `ipfwatch send` posts to the
// listener the data directory's settings and the flags describe, over
// HTTPS when --tls-cert is set, trusting that certificate.
func TestSendFindsTheListener(t *testing.T) {
	t.Run("settings.json", func(t *testing.T) {
		dir := t.TempDir()
		a := startApp(t, dir, config.Overrides{Listen: ptrTo("127.0.0.1:0")})
		s := config.DefaultSettings()
		s.Listen = a.Addr()
		if err := config.SaveSettings(config.SettingsFile(dir), s); err != nil {
			t.Fatal(err)
		}
		var out, errOut bytes.Buffer
		code := Run([]string{"send", "--data-dir", dir}, Env{Stdout: &out, Stderr: &errOut, Getenv: noDisplayEnv(nil)})
		if code != 0 || !strings.HasPrefix(out.String(), "200 ") {
			t.Errorf("exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
		}
	})
	t.Run("tls", func(t *testing.T) {
		dir := t.TempDir()
		cert, key := writeSelfSigned(t, t.TempDir())
		a := startApp(t, dir, config.Overrides{Listen: ptrTo("127.0.0.1:0"), TLSCert: &cert, TLSKey: &key})
		var out, errOut bytes.Buffer
		code := Run([]string{"send", "--test", "--data-dir", dir, "--listen", a.Addr(), "--tls-cert", cert, "--tls-key", key},
			Env{Stdout: &out, Stderr: &errOut, Getenv: noDisplayEnv(nil)})
		if code != 0 || !strings.HasPrefix(out.String(), "200 ") {
			t.Errorf("exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
		}
		// Without the certificate the self-signed listener is not trusted...
		out.Reset()
		errOut.Reset()
		url := "https://" + a.Addr() + "/ipfabric"
		if code := Run([]string{"send", "--data-dir", dir, "--url", url}, Env{Stdout: &out, Stderr: &errOut, Getenv: noDisplayEnv(nil)}); code != 1 || !strings.Contains(errOut.String(), "certificate") {
			t.Errorf("unverified certificate: exit %d, stderr %q", code, errOut.String())
		}
		// ...unless the engineer says so.
		out.Reset()
		if code := Run([]string{"send", "--data-dir", dir, "--url", url, "--insecure"}, Env{Stdout: &out, Stderr: &errOut, Getenv: noDisplayEnv(nil)}); code != 0 {
			t.Errorf("--insecure: exit %d, stderr %q", code, errOut.String())
		}
		// The printed curl command works as printed: it pins our
		// certificate's key, so the repeat of the delivery just sent is
		// answered as a duplicate over TLS.
		out.Reset()
		code = Run([]string{"send", "--curl", "--data-dir", dir, "--listen", a.Addr(), "--tls-cert", cert, "--tls-key", key},
			Env{Stdout: &out, Stderr: &errOut, Getenv: noDisplayEnv(nil)})
		lines := strings.SplitN(out.String(), "\n", 2)
		if code != 0 || !strings.Contains(lines[0], "--pinnedpubkey") {
			t.Fatalf("send --curl: exit %d, stdout %q", code, out.String())
		}
		got, err := exec.Command("/bin/sh", "-c", lines[0]).CombinedOutput()
		if err != nil || !strings.Contains(string(got), `"result":"duplicate"`) {
			t.Errorf("printed curl command: %v: %s", err, got)
		}
	})
}

func ptrTo[T any](v T) *T { return &v }
