//go:build !unix

package jsiichild

import (
	"errors"
	"os"
)

func executable(string) bool { return false }

func kill(pid int) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return nil
	}
	if err := p.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	return nil
}
