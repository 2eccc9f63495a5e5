package proctree

import (
	"bytes"
	"os"
	"strconv"
)

// terminateIgnorable: on Unix Terminate is a signal a program may ignore.
const terminateIgnorable = true

// gone reports whether pid no longer runs. A zombie counts as gone: it runs
// nothing, and in a container whose init does not reap, an orphan stays one.
func gone(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	// The state follows the command name, which is in parentheses and may
	// itself contain any byte.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return false
	}
	state := b[i+2]
	return state == 'Z' || state == 'X'
}
