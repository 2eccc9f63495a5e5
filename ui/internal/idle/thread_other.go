//go:build !linux

package idle

// onLoopThread cannot tell threads apart here without cgo, so it trusts
// the caller: after Fyne's Run returns, Stop must be called before anything
// else queues with fyne.Do, or one park may run in place on that goroutine.
func onLoopThread() bool { return true }
