package proctree

import "golang.org/x/sys/windows"

// terminateIgnorable: on Windows Terminate ends the job; nothing can ignore
// it.
const terminateIgnorable = false

// stillActive is STILL_ACTIVE, the exit code of a process that runs.
const stillActive = 259

// gone reports whether pid no longer runs: it cannot be opened, or it has an
// exit code.
func gone(pid int) bool {
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if err != nil {
		return true
	}
	defer windows.CloseHandle(h)
	var code uint32
	if err := windows.GetExitCodeProcess(h, &code); err != nil {
		return false
	}
	return code != stillActive
}
