package cli

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair: the controller the test types on
// and the terminal the command reads.
func openPTY(t *testing.T) (ctl, tty *os.File) {
	t.Helper()
	ctl, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { ctl.Close() })
	if err := unix.IoctlSetPointerInt(int(ctl.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlock pty: %v", err)
	}
	n, err := unix.IoctlGetInt(int(ctl.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("pty number: %v", err)
	}
	tty, err = os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open pty: %v", err)
	}
	t.Cleanup(func() { tty.Close() })
	return ctl, tty
}

// typeWhenSilent types line on ctl once the terminal's echo is off, so
// that what is typed could only show if the prompt had left echo on.
func typeWhenSilent(t *testing.T, ctl, tty *os.File, line string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		tio, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
		if err != nil {
			t.Errorf("termios: %v", err)
			return
		}
		if tio.Lflag&unix.ECHO == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("the terminal's echo was never turned off")
			break // type anyway, so that the read ends
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := ctl.WriteString(line + "\n"); err != nil {
		t.Errorf("type: %v", err)
	}
}

// TestPasswordPromptOnTerminal: on a terminal the password is asked twice
// with echo off, nothing typed appears on the terminal, and a mismatch is
// refused.
func TestPasswordPromptOnTerminal(t *testing.T) {
	for _, tc := range []struct {
		name, first, again, want, err string
	}{
		{"agree", "correct horse 7", "correct horse 7", "correct horse 7", ""},
		{"differ", "correct horse 7", "correct horse 8", "", "differ"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctl, tty := openPTY(t)
			var errOut bytes.Buffer
			e := &env{Stdio: Stdio{In: tty, Out: &bytes.Buffer{}, Err: &errOut}}
			typed := make(chan struct{})
			go func() {
				defer close(typed)
				// Both lines at once: input that arrives with echo off is
				// never echoed later, and term reads a byte at a time, so
				// the second line waits for the second prompt.
				typeWhenSilent(t, ctl, tty, tc.first+"\n"+tc.again)
			}()
			pw, err := e.readPassword("")
			<-typed
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want one saying %q", err, tc.err)
				}
			} else if err != nil || string(pw.Reveal()) != tc.want {
				t.Fatalf("password %q, %v; want %q", pw.Reveal(), err, tc.want)
			}
			if !strings.Contains(errOut.String(), "New password: ") || !strings.Contains(errOut.String(), "Type it again: ") {
				t.Errorf("prompts %q, want both", errOut.String())
			}
			if shown := drain(t, ctl); strings.Contains(shown, "horse") {
				t.Errorf("the terminal showed %q: the password was echoed", shown)
			}
		})
	}
}

// drain reads what the terminal has written to the controller so far,
// without blocking.
func drain(t *testing.T, ctl *os.File) string {
	t.Helper()
	fd := int(ctl.Fd())
	if err := unix.SetNonblock(fd, true); err != nil {
		t.Fatalf("pty controller non-blocking: %v", err)
	}
	var out bytes.Buffer
	buf := make([]byte, 4096)
	for {
		n, err := unix.Read(fd, buf)
		if n <= 0 || err != nil {
			return out.String()
		}
		out.Write(buf[:n])
	}
}
