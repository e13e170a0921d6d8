package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/kpnode/kpnode/crypto"
	"golang.org/x/term"
)

// terminalIn returns standard input's descriptor when it is a terminal.
func (e *env) terminalIn() (int, bool) {
	f, ok := e.In.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0, false
	}
	return int(f.Fd()), true
}

// promptPassword asks for a new password twice on the terminal fd, with
// echo off, prompting on standard error, and returns it when both agree.
func (e *env) promptPassword(fd int) (crypto.Secret, error) {
	first, err := e.readHidden(fd, "New password: ")
	if err != nil {
		return nil, err
	}
	if len(first) == 0 {
		return nil, usageErrorf("no password typed")
	}
	again, err := e.readHidden(fd, "Type it again: ")
	if err != nil {
		return nil, err
	}
	if string(first) != string(again) {
		return nil, errors.New("read password: the two passwords typed differ")
	}
	return crypto.Secret(first), nil
}

// readHidden prints prompt on standard error and reads one line from the
// terminal fd without echoing it.
func (e *env) readHidden(fd int, prompt string) ([]byte, error) {
	fmt.Fprint(e.Err, prompt)
	line, err := term.ReadPassword(fd)
	fmt.Fprintln(e.Err)
	if err != nil {
		return nil, fmt.Errorf("read password from the terminal: %w", err)
	}
	return line, nil
}
