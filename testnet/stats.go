package testnet

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// NodeStats is what one member's process holds, read from /proc (so
// stats need Linux) and from its /metrics.
type NodeStats struct {
	Code string `json:"code"`
	PID  int    `json:"pid"`
	// RSSAnonMiB and RSSFileMiB are the process's resident anonymous
	// pages (heap, stacks) and file pages (the kpnode binary's text,
	// Badger's mapped tables and logs), RssAnon and RssFile of
	// /proc/PID/status. Every process counts the binary's shared pages
	// in full.
	RSSAnonMiB float64 `json:"rss_anon_mib"`
	RSSFileMiB float64 `json:"rss_file_mib"`
	// PSSMiB is the proportional set size (/proc/PID/smaps_rollup): pages
	// shared by k processes count 1/k in each, so the members' PSS add
	// up to the memory the network actually takes.
	PSSMiB      float64 `json:"pss_mib"`
	Goroutines  int     `json:"goroutines"`
	Connections int     `json:"connections"`          // libp2p connections, both directions
	Partners    int     `json:"partners"`             // pinned partners connected
	OpenFiles   int     `json:"open_files"`           // descriptors in /proc/PID/fd
	CPUSeconds  float64 `json:"cpu_seconds"`          // user + system since the process started
	CPUPercent  float64 `json:"cpu_pct"`              // of one core over the window
	Threads     int     `json:"threads"`              // OS threads
	Unreadable  string  `json:"unreadable,omitempty"` // why this member has no figures (not running)
}

// RSSMiB is the resident set, anonymous and file pages.
func (s NodeStats) RSSMiB() float64 { return s.RSSAnonMiB + s.RSSFileMiB }

// Stats is the whole network's resources at one moment, with each
// member's CPU over a window before it.
type Stats struct {
	Window time.Duration `json:"window_ns"`
	Nodes  []NodeStats   `json:"nodes"`
}

// Totals sums the members' figures. The largest is the member with the
// most resident memory.
type Totals struct {
	Nodes       int
	RSSMiB      float64
	RSSAnonMiB  float64
	RSSFileMiB  float64
	PSSMiB      float64
	Largest     NodeStats
	Goroutines  int
	Connections int
	OpenFiles   int
	Threads     int
	CPUPercent  float64 // of one core, summed over the members
	Busiest     NodeStats
}

// Totals sums the figures of the members that could be read.
func (s *Stats) Totals() Totals {
	var t Totals
	for _, n := range s.Nodes {
		if n.Unreadable != "" {
			continue
		}
		t.Nodes++
		t.RSSMiB += n.RSSMiB()
		t.RSSAnonMiB += n.RSSAnonMiB
		t.RSSFileMiB += n.RSSFileMiB
		t.PSSMiB += n.PSSMiB
		t.Goroutines += n.Goroutines
		t.Connections += n.Connections
		t.OpenFiles += n.OpenFiles
		t.Threads += n.Threads
		t.CPUPercent += n.CPUPercent
		if n.RSSMiB() > t.Largest.RSSMiB() {
			t.Largest = n
		}
		if n.CPUPercent > t.Busiest.CPUPercent {
			t.Busiest = n
		}
	}
	return t
}

// Stats reads every running member's resources, its CPU as the growth
// of its CPU time over window (0: no window, CPUPercent stays 0). A
// member that is not running, or exits during the window, is listed with
// the reason in Unreadable.
func (n *Network) Stats(ctx context.Context, window time.Duration) (*Stats, error) {
	before := make(map[string]float64)
	for _, m := range n.Members() {
		if cpu, err := procCPUSeconds(m.PID); err == nil && n.runner.Running(m) {
			before[m.Code] = cpu
		}
	}
	start := time.Now()
	if window > 0 {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(window):
		}
	}
	took := time.Since(start)
	st := &Stats{Window: window}
	for _, m := range n.Members() {
		s := n.nodeStats(ctx, m)
		if b, ok := before[m.Code]; ok && window > 0 && s.Unreadable == "" {
			s.CPUPercent = (s.CPUSeconds - b) / took.Seconds() * 100
		}
		st.Nodes = append(st.Nodes, s)
	}
	return st, nil
}

// nodeStats reads member m's figures, or says why it cannot.
func (n *Network) nodeStats(ctx context.Context, m *Member) NodeStats {
	s := NodeStats{Code: m.Code, PID: m.PID}
	if !n.runner.Running(m) || m.PID == 0 {
		s.Unreadable = "not running"
		return s
	}
	if err := readProcStats(m.PID, &s); err != nil {
		s.Unreadable = err.Error()
		return s
	}
	var metrics []byte
	if err := n.call(ctx, m, "GET", "/metrics", nil, &metrics); err != nil {
		s.Unreadable = fmt.Sprintf("metrics: %v", err)
		return s
	}
	if err := metricStats(metrics, &s); err != nil {
		s.Unreadable = fmt.Sprintf("metrics: %v", err)
	}
	return s
}

// readProcStats fills the figures /proc has of process pid.
func readProcStats(pid int, s *NodeStats) error {
	status, err := procStatusKiB(pid, "RssAnon", "RssFile", "Threads")
	if err != nil {
		return err
	}
	s.RSSAnonMiB, s.RSSFileMiB = status[0]/1024, status[1]/1024
	s.Threads = int(status[2])
	pss, err := procPSSKiB(pid)
	if err != nil {
		return err
	}
	s.PSSMiB = pss / 1024
	fds, err := procOpenFiles(pid)
	if err != nil {
		return err
	}
	s.OpenFiles = int(fds)
	s.CPUSeconds, err = procCPUSeconds(pid)
	return err
}

// metricStats fills the figures the node's /metrics has.
func metricStats(text []byte, s *NodeStats) error {
	g, err := metricValue(text, "go_goroutines")
	if err != nil {
		return err
	}
	p, err := metricValue(text, "kpnode_partners_connected")
	if err != nil {
		return err
	}
	// The resource manager's system scope counts every connection once,
	// inbound and outbound; the transient scope counts them again while
	// they are being set up.
	c, err := metricSum(text, "libp2p_rcmgr_connections", `scope="system"`)
	if err != nil {
		return err
	}
	s.Goroutines, s.Partners, s.Connections = int(g), int(p), int(c)
	return nil
}

// metricSum adds up the values of metric name over its series whose
// labels contain label, in Prometheus text exposition.
func metricSum(text []byte, name, label string) (float64, error) {
	var sum float64
	found := false
	for line := range strings.SplitSeq(string(text), "\n") {
		rest, ok := strings.CutPrefix(line, name+"{")
		if !ok {
			continue
		}
		labels, v, ok := strings.Cut(rest, "} ")
		if !ok || !strings.Contains(labels, label) {
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return 0, fmt.Errorf("%s{%s}: value %q is not a number", name, labels, v)
		}
		sum += f
		found = true
	}
	if !found {
		return 0, fmt.Errorf("no %s with %s", name, label)
	}
	return sum, nil
}

// procStatusKiB reads the named fields of /proc/PID/status ("VmRSS",
// "RssAnon", "Threads", …), in kB for sizes, in the order asked.
func procStatusKiB(pid int, fields ...string) ([]float64, error) {
	path := fmt.Sprintf("/proc/%d/status", pid)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return statusFields(path, b, fields)
}

// statusFields reads fields out of the text of a /proc/PID/status.
func statusFields(path string, b []byte, fields []string) ([]float64, error) {
	out := make([]float64, len(fields))
	seen := make([]bool, len(fields))
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		for i, f := range fields {
			if name != f {
				continue
			}
			v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				return nil, fmt.Errorf("%s: %s %q is not a number", path, name, strings.TrimSpace(rest))
			}
			out[i], seen[i] = v, true
		}
	}
	for i, ok := range seen {
		if !ok {
			return nil, fmt.Errorf("%s: no %s line", path, fields[i])
		}
	}
	return out, nil
}

// procPSSKiB reads the Pss line of /proc/PID/smaps_rollup, in kB.
func procPSSKiB(pid int) (float64, error) {
	path := fmt.Sprintf("/proc/%d/smaps_rollup", pid)
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	v, err := statusFields(path, b, []string{"Pss"})
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

// clockTick is the unit of /proc/PID/stat's CPU times: USER_HZ, 100 on
// every Linux architecture Go builds for.
const clockTick = 10 * time.Millisecond

// procCPUSeconds is process pid's user and system CPU time so far.
func procCPUSeconds(pid int) (float64, error) {
	path := fmt.Sprintf("/proc/%d/stat", pid)
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	d, err := statCPU(b)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return d.Seconds(), nil
}

// statCPU reads utime and stime (fields 14 and 15) of a /proc/PID/stat
// line. The command name (field 2, in parentheses) may hold spaces and
// parentheses itself, so the fields are counted from its last ')'.
func statCPU(b []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("no command name in parentheses")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("%d fields after the command name, not at least 13", len(f))
	}
	utime, err1 := strconv.ParseUint(f[11], 10, 63)
	stime, err2 := strconv.ParseUint(f[12], 10, 63)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("utime %q, stime %q: not tick counts", f[11], f[12])
	}
	return time.Duration(utime+stime) * clockTick, nil
}
