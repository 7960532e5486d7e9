//go:build unix

package jsiichild

import (
	"errors"
	"syscall"
)

// executable tells whether path may be executed: access(2) with X_OK also fails on a
// noexec mount.
func executable(path string) bool { return syscall.Access(path, 1 /* X_OK */) == nil }

// kill sends SIGKILL; a process that already ended is no error.
func kill(pid int) error {
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	return nil
}
