//go:build !windows

package config

// writePrivate writes the file with mode 0600; os.CreateTemp creates the
// temporary file 0600 already, so no one else can open it at any moment.
func writePrivate(path string, data []byte) error {
	return WriteFileAtomic(path, data, 0o600)
}
