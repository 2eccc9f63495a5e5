package config

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/zalando/go-keyring"

	"github.com/ipfwatch/ipfwatch/app/sessionbus"
)

// Environment variables that override the stored secrets. When set, the
// Settings view shows that the environment wins and saves nothing over it.
const (
	EnvSecret         = "IPF_WEBHOOK_SECRET"
	EnvPreviousSecret = "IPF_WEBHOOK_SECRET_PREVIOUS"
)

// keyringService names ipfwatch's entries in the OS keyring; the data
// directory is the user name so two data directories keep two secrets.
const keyringService = "ipfwatch"

// SecretStore keeps the webhook secrets outside SQLite: in the OS keyring
// where one answers, otherwise in files only the user can read (0600) in
// the data directory. It never logs a secret.
type SecretStore struct {
	dir string
	// useKeyring is false where asking would do harm: without a
	// session bus the D-Bus library would autolaunch a daemon that outlives
	// us, and a headless server has no keyring to unlock anyway.
	useKeyring bool
	getenv     func(string) string
}

// NewSecretStore returns the store for dataDir. useKeyring asks the OS
// keyring first; pass false for headless use and tests.
func NewSecretStore(dataDir string, useKeyring bool) *SecretStore {
	if sessionbus.Missing() {
		useKeyring = false
	}
	return &SecretStore{dir: dataDir, useKeyring: useKeyring, getenv: os.Getenv}
}

// Which names a secret: the current one or the previous one kept for
// rotation.
type Which string

// The secrets: the two webhook secrets, and the IP Fabric API token, kept
// the same way.
const (
	Current  Which = "current"
	Previous Which = "previous"
	IPFToken Which = "ipf-token"
)

// EnvIPFToken is IP Fabric's own name for the API token, as its Python SDK
// reads it.
const EnvIPFToken = "IPF_TOKEN"

func (w Which) env() string {
	switch w {
	case Previous:
		return EnvPreviousSecret
	case IPFToken:
		return EnvIPFToken
	}
	return EnvSecret
}

// Source says where a secret came from, for the Settings view.
type Source string

// Where secrets come from.
const (
	FromEnv     Source = "environment"
	FromKeyring Source = "keyring"
	FromFile    Source = "file"
	FromNowhere Source = ""
)

// Get returns the secret and where it came from: the environment first, then
// the keyring, then the file. An empty secret with FromNowhere means none
// is configured.
func (s *SecretStore) Get(w Which) (string, Source, error) {
	if v := s.getenv(w.env()); v != "" {
		return v, FromEnv, nil
	}
	if s.useKeyring {
		v, err := keyring.Get(keyringService, s.keyringUser(w))
		if err == nil && v != "" {
			return v, FromKeyring, nil
		}
	}
	b, err := os.ReadFile(SecretFile(s.dir, w))
	if errors.Is(err, os.ErrNotExist) {
		return "", FromNowhere, nil
	}
	if err != nil {
		return "", FromNowhere, fmt.Errorf("read %s secret: %w", w, err)
	}
	return strings.TrimSpace(string(b)), FromFile, nil
}

// Set stores the secret (empty deletes it): in the keyring if it answers,
// else in a 0600 file. It returns where it went.
func (s *SecretStore) Set(w Which, v string) (Source, error) {
	path := SecretFile(s.dir, w)
	if v == "" {
		if s.useKeyring {
			_ = keyring.Delete(keyringService, s.keyringUser(w))
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return FromNowhere, fmt.Errorf("remove %s secret: %w", w, err)
		}
		return FromNowhere, nil
	}
	if strings.ContainsAny(v, "\r\n") {
		return FromNowhere, errors.New("a secret cannot contain line breaks")
	}
	if s.useKeyring {
		if err := keyring.Set(keyringService, s.keyringUser(w), v); err == nil {
			// A stale file would otherwise shadow nothing but confuse; remove it.
			_ = os.Remove(path)
			return FromKeyring, nil
		}
	}
	if err := writePrivateFile(path, []byte(v+"\n")); err != nil {
		return FromNowhere, fmt.Errorf("write %s secret: %w", w, err)
	}
	return FromFile, nil
}

func (s *SecretStore) keyringUser(w Which) string { return string(w) + "@" + s.dir }

// GenerateSecret returns a new random secret: 32 bytes, hex encoded.
func GenerateSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b)
}
