//go:build unix && !linux

package proctree

import "syscall"

// terminateIgnorable: on Unix Terminate is a signal a program may ignore.
const terminateIgnorable = true

// gone reports whether pid no longer exists (kill -0). Unlike the Linux
// version it counts a zombie as running.
func gone(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == syscall.ESRCH
}
