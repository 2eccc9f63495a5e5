package config

// writePrivateFile writes data to path atomically (a temporary file in the
// same directory, then a rename), so a crash never leaves half a file, and
// such that only the current user can read it: mode 0600 on Unix, a
// protected DACL with one ACE for the user on Windows, where file modes mean
// nothing. The webhook secret files use it, and so must every other file
// that holds a credential (the IP Fabric API token).
func writePrivateFile(path string, data []byte) error { return writePrivate(path, data) }
