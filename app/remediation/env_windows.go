//go:build windows

package remediation

// passThroughEnv is what a run inherits from ipfwatch's environment. Windows
// programs need a few more variables than PATH, HOME and LANG to work at all.
var passThroughEnv = []string{"PATH", "HOME", "LANG", "SystemRoot", "windir", "USERPROFILE", "TEMP", "TMP", "PATHEXT", "ComSpec"}
