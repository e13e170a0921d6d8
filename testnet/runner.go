package testnet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/kpnode/kpnode/api"
	"github.com/kpnode/kpnode/home"
	"github.com/kpnode/kpnode/node"
	"github.com/kpnode/kpnode/store"
)

// stopTimeout bounds a graceful stop before the member is killed.
const stopTimeout = 20 * time.Second

// Runner starts and stops members.
type Runner interface {
	// Start starts m; it may return before m's API answers.
	Start(m *Member) error
	// Stop stops m gracefully, or at once when kill is set; it returns
	// when m no longer runs. Stopping a stopped member does nothing.
	Stop(m *Member, kill bool) error
	// Running reports whether m runs now.
	Running(m *Member) bool
}

// ProcessRunner runs each member as a `kpnode run` process in its own
// process group (so a Ctrl-C meant for the caller does not reach it),
// logging to node.log in its home. Processes outlive the runner; the
// state file keeps their PIDs so that another command can stop them.
type ProcessRunner struct {
	Binary string // the kpnode executable

	wg sync.WaitGroup // reapers of the processes this runner started
}

// Start implements [Runner].
func (r *ProcessRunner) Start(m *Member) error {
	log, err := os.OpenFile(logPath(m), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := exec.Command(r.Binary, "run", "--home", m.Home, "--log-format", "json")
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = ownGroup()
	if err := cmd.Start(); err != nil {
		return err
	}
	m.PID = cmd.Process.Pid
	r.wg.Add(1)
	go func() { defer r.wg.Done(); _ = cmd.Wait() }() // reap it if it exits while we run
	return nil
}

// Stop implements [Runner]: an interrupt (SIGINT; CTRL_BREAK on Windows),
// or a kill when kill is set or when the process has not exited after
// stopTimeout, then waits for it to go.
func (r *ProcessRunner) Stop(m *Member, kill bool) error {
	if !r.Running(m) {
		m.PID = 0
		return nil
	}
	signal := interrupt
	if kill {
		signal = killProcess
	}
	if err := signal(m.PID); err != nil {
		return err
	}
	if !r.waitGone(m, stopTimeout) {
		_ = killProcess(m.PID)
		if !r.waitGone(m, stopTimeout) {
			return fmt.Errorf("process %d does not exit, even after SIGKILL", m.PID)
		}
	}
	m.PID = 0
	return nil
}

func (r *ProcessRunner) waitGone(m *Member, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for r.Running(m) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// Running implements [Runner]: the recorded PID is alive and runs this
// member's home (see processRuns for what each platform can check).
func (r *ProcessRunner) Running(m *Member) bool {
	return m.PID > 0 && processRuns(m.PID, m.Home)
}

// Wait waits for the reapers of the processes this runner started, which
// return once those processes exited.
func (r *ProcessRunner) Wait() { r.wg.Wait() }

// InProcessRunner runs each member as a node inside the calling process,
// with its API on the member's port: for tests. A kill is a stop without
// the graceful API shutdown.
type InProcessRunner struct {
	mu      sync.Mutex
	running map[string]*inProcess // by member code
}

type inProcess struct {
	cancel context.CancelFunc
	done   chan error // the API server's result
	n      *node.Node
	st     *store.Store
	unlock func()
}

// Start implements [Runner].
func (r *InProcessRunner) Start(m *Member) error {
	h, cfg, err := home.OpenHome(m.Home)
	if err != nil {
		return err
	}
	unlock, err := h.Lock()
	if err != nil {
		return err
	}
	p, err := startInProcess(h, cfg)
	if err != nil {
		unlock()
		return err
	}
	p.unlock = unlock
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.running == nil {
		r.running = map[string]*inProcess{}
	}
	r.running[m.Code] = p
	return nil
}

func startInProcess(h home.Home, cfg node.Config) (*inProcess, error) {
	id, err := h.ReadIdentity(nil)
	if err != nil {
		return nil, err
	}
	tok, err := h.ReadToken()
	if err != nil {
		return nil, err
	}
	st, err := h.OpenStore(nil)
	if err != nil {
		return nil, err
	}
	p := &inProcess{st: st, done: make(chan error, 1)}
	if p.n, err = node.New(cfg, id, st, nil); err == nil {
		err = p.n.Start(context.Background())
	}
	var ln net.Listener
	if err == nil {
		ln, err = net.Listen("tcp", cfg.API)
	}
	var hd *api.Handler
	if err == nil {
		if hd, err = api.NewHandler(p.n, tok, nil, api.WithListenAddr(cfg.API, ln.Addr().String())); err != nil {
			ln.Close()
		}
	}
	if err != nil {
		if p.n != nil {
			p.n.Close()
		}
		st.Close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	go func() { p.done <- api.Serve(ctx, ln, hd) }()
	return p, nil
}

// Stop implements [Runner].
func (r *InProcessRunner) Stop(m *Member, _ bool) error {
	r.mu.Lock()
	p := r.running[m.Code]
	delete(r.running, m.Code)
	r.mu.Unlock()
	if p == nil {
		return nil
	}
	p.cancel()
	err := <-p.done
	err = errors.Join(err, p.n.Close(), p.st.Close())
	p.unlock()
	return err
}

// Running implements [Runner].
func (r *InProcessRunner) Running(m *Member) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.running[m.Code] != nil
}
