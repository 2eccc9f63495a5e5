//go:build windows

package proctree

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// Tree is a started program and every process it started, here a job
// object that holds them all.
type Tree struct {
	proc *os.Process

	mu  sync.Mutex
	job windows.Handle // 0 once closed
}

// exitCodeKilled is the exit code of processes ended by Terminate or Kill,
// the one os.Process.Kill uses too.
const exitCodeKilled = 1

// start creates a job that kills its processes when its last handle closes,
// starts the program suspended, puts it in the job and resumes it.
//
// The program must be suspended while it is assigned: running, it could
// start a child before AssignProcessToJobObject, and that child would be
// outside the job. os/exec does not return the main thread's handle that
// CreateProcess gave it (golang/go#32404), so after the assignment the
// program's threads are found with a Toolhelp snapshot and resumed. A
// process created suspended has exactly one thread, its main thread, and
// runs no code of its own until it is resumed. The alternatives are worse:
// PROC_THREAD_ATTRIBUTE_JOB_LIST would need CreateProcess called by hand
// (os/exec builds the attribute list itself), and NtResumeProcess is an
// undocumented ntdll call.
func start(cmd *exec.Cmd) (*Tree, error) {
	job, err := newJob()
	if err != nil {
		return nil, err
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	// A new process group also keeps Ctrl+C in ipfwatch's console from
	// reaching the program, as its own process group does on Unix.
	cmd.SysProcAttr.CreationFlags |= windows.CREATE_SUSPENDED | windows.CREATE_NEW_PROCESS_GROUP
	if err := cmd.Start(); err != nil {
		windows.CloseHandle(job)
		return nil, fmt.Errorf("proctree: start %s: %w", cmd.Path, err)
	}
	if err := assignAndResume(job, uint32(cmd.Process.Pid)); err != nil {
		// Still suspended (or never resumed): it has done nothing yet.
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		windows.CloseHandle(job)
		return nil, err
	}
	return &Tree{proc: cmd.Process, job: job}, nil
}

// newJob creates an anonymous job object whose processes are killed when its
// last handle is closed: by Close, or by the system when ipfwatch exits.
func newJob() (windows.Handle, error) {
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return 0, fmt.Errorf("proctree: create job object: %w", err)
	}
	var info windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION
	info.BasicLimitInformation.LimitFlags = windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
	if _, err := windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
		windows.CloseHandle(job)
		return 0, fmt.Errorf("proctree: set job limits: %w", err)
	}
	return job, nil
}

// assignAndResume puts the suspended process pid in job, then resumes it.
func assignAndResume(job windows.Handle, pid uint32) error {
	h, err := windows.OpenProcess(windows.PROCESS_SET_QUOTA|windows.PROCESS_TERMINATE, false, pid)
	if err != nil {
		return fmt.Errorf("proctree: open process %d: %w", pid, err)
	}
	defer windows.CloseHandle(h)
	if err := windows.AssignProcessToJobObject(job, h); err != nil {
		return fmt.Errorf("proctree: assign process %d to its job: %w", pid, err)
	}
	return resumeThreads(pid)
}

// resumeThreads resumes every thread of process pid: for a process just
// created suspended, its main thread.
func resumeThreads(pid uint32) error {
	snap, err := windows.CreateToolhelp32Snapshot(windows.TH32CS_SNAPTHREAD, 0)
	if err != nil {
		return fmt.Errorf("proctree: list threads: %w", err)
	}
	defer windows.CloseHandle(snap)
	te := windows.ThreadEntry32{Size: uint32(unsafe.Sizeof(windows.ThreadEntry32{}))}
	resumed := 0
	for err = windows.Thread32First(snap, &te); err == nil; err = windows.Thread32Next(snap, &te) {
		if te.OwnerProcessID != pid {
			continue
		}
		th, err := windows.OpenThread(windows.THREAD_SUSPEND_RESUME, false, te.ThreadID)
		if err != nil {
			return fmt.Errorf("proctree: open thread %d of process %d: %w", te.ThreadID, pid, err)
		}
		_, err = windows.ResumeThread(th)
		windows.CloseHandle(th)
		if err != nil {
			return fmt.Errorf("proctree: resume thread %d of process %d: %w", te.ThreadID, pid, err)
		}
		resumed++
	}
	if !errors.Is(err, windows.ERROR_NO_MORE_FILES) {
		return fmt.Errorf("proctree: list threads: %w", err)
	}
	if resumed == 0 {
		return fmt.Errorf("proctree: process %d has no thread to resume", pid)
	}
	return nil
}

// Terminate ends every process of the tree. Windows has no polite request
// that a console-less program could receive (a console control event only
// reaches programs attached to the sender's console, and the tray app has
// none), so this terminates the job, as Kill does.
func (t *Tree) Terminate() error { return t.terminateJob() }

// Kill ends every process of the tree at once (TerminateJobObject), and the
// main program itself should the job not hold it. Only the job's error
// counts: once the job has ended the main program, TerminateProcess may
// refuse a process that is already exiting.
func (t *Tree) Kill() error {
	t.mu.Lock()
	closed := t.job == 0
	t.mu.Unlock()
	if closed {
		return nil
	}
	jerr := t.terminateJob()
	merr := killMain(t.proc)
	if jerr != nil {
		return errors.Join(jerr, merr)
	}
	return nil
}

// terminateJob ends every process in the job; after Close there is none.
func (t *Tree) terminateJob() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.job == 0 {
		return nil
	}
	if err := windows.TerminateJobObject(t.job, exitCodeKilled); err != nil {
		return fmt.Errorf("proctree: terminate job: %w", err)
	}
	return nil
}

// jobBasicAccounting is JOBOBJECT_BASIC_ACCOUNTING_INFORMATION, which
// x/sys/windows does not define.
type jobBasicAccounting struct {
	TotalUserTime             int64
	TotalKernelTime           int64
	ThisPeriodTotalUserTime   int64
	ThisPeriodTotalKernelTime int64
	TotalPageFaultCount       uint32
	TotalProcesses            uint32
	ActiveProcesses           uint32
	TotalTerminatedProcesses  uint32
}

// Alive reports whether any process of the job is still running (its
// active process count). Should the count be unreadable it says true, so
// that Stop goes on to Kill rather than assume the tree is gone. After Close
// it reports false: closing the job killed what was left.
func (t *Tree) Alive() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.job == 0 {
		return false
	}
	var info jobBasicAccounting
	err := windows.QueryInformationJobObject(t.job, windows.JobObjectBasicAccountingInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info)), nil)
	return err != nil || info.ActiveProcesses > 0
}

// Close releases the job. Because the job kills its processes when its last
// handle closes, any process of the tree still running is ended: call Close
// once the run is over (after cmd.Wait). Close is idempotent.
func (t *Tree) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.job == 0 {
		return nil
	}
	err := windows.CloseHandle(t.job)
	t.job = 0
	if err != nil {
		return fmt.Errorf("proctree: close job: %w", err)
	}
	return nil
}
