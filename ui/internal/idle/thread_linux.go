package idle

import "syscall"

// onLoopThread reports whether the caller runs on the process's main
// thread, where Fyne's GLFW loop runs (the glfw driver locks the main
// goroutine to it: internal/driver/glfw/loop.go:29-32). On Linux the main
// thread's id is the process id.
func onLoopThread() bool { return syscall.Gettid() == syscall.Getpid() }
