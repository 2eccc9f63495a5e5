//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package remediation

// passThroughEnv is what a run inherits from ipfwatch's environment.
var passThroughEnv = []string{"PATH", "HOME", "LANG"}
