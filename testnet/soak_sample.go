package testnet

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kpnode/kpnode/home"
)

// sample measures member m at at seconds: its process's resident memory
// and open files (from /proc, so a soak needs Linux), its goroutines
// (from /metrics), its store's size on disk (allocated blocks) and the latency of GET
// /api/status. A member that is not running gives a sample with Up false.
func (n *Network) sample(ctx context.Context, m *Member, at float64) (Sample, error) {
	s := Sample{At: at, Code: m.Code}
	if !n.runner.Running(m) || m.PID == 0 {
		return s, nil
	}
	var err error
	if s.RSSMB, err = procRSSMB(m.PID); err != nil {
		return s, err
	}
	if s.OpenFiles, err = procOpenFiles(m.PID); err != nil {
		return s, err
	}
	if s.BadgerMB, err = dirMB(home.Home{Dir: m.Home}.StoreDir()); err != nil {
		return s, err
	}
	start := time.Now()
	if err := n.call(ctx, m, "GET", "/api/status", nil, nil); err != nil {
		return s, nil // restarting: counted as down
	}
	s.APIms = float64(time.Since(start).Microseconds()) / 1000
	var metrics []byte
	if err := n.call(ctx, m, "GET", "/metrics", nil, &metrics); err != nil {
		return s, nil
	}
	if s.Goroutines, err = metricValue(metrics, "go_goroutines"); err != nil {
		return s, fmt.Errorf("metrics of %s: %w", m.Code, err)
	}
	s.Up = true
	return s, nil
}

// procRSSMB reads VmRSS of /proc/PID/status, in MiB.
func procRSSMB(pid int) (float64, error) {
	v, err := procStatusKiB(pid, "VmRSS")
	if err != nil {
		return 0, err
	}
	return v[0] / 1024, nil
}

// procOpenFiles counts the descriptors in /proc/PID/fd.
func procOpenFiles(pid int) (float64, error) {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	return float64(len(ents)), err
}

// dirMB sums the space the regular files under dir take on disk, in MiB.
func dirMB(dir string) (float64, error) {
	var total int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil // a file removed while walking (a compaction)
			}
			return err
		}
		if d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				total += diskBytes(info)
			}
		}
		return nil
	})
	return float64(total) / (1 << 20), err
}

// metricValue returns the value of an unlabelled metric in Prometheus
// text exposition.
func metricValue(text []byte, name string) (float64, error) {
	for line := range strings.SplitSeq(string(text), "\n") {
		v, ok := strings.CutPrefix(line, name+" ")
		if !ok {
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return 0, fmt.Errorf("%s: value %q is not a number", name, v)
		}
		return f, nil
	}
	return 0, fmt.Errorf("no %s metric", name)
}
