package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// The import-memory benchmark of issue 14: a year's file of 200,000 rows
// (100,000 two-line certificates) imported through the CLI into a real
// kpnode run daemon must leave it under 300 MB resident.

// importCertificates is the certificates of BenchmarkImportMemory's file:
// 100,000 (200,000 rows), 5,000 with -short.
func importCertificates() int {
	if testing.Short() {
		return 5_000
	}
	return 100_000
}

// BenchmarkImportMemory starts a kpnode run daemon on a fresh home, reads
// its resident memory idle (the baseline, idle_rss_MiB), imports a CSV of
// N certificates with kpnode import, and reads VmRSS (rss_MiB), its
// anonymous and file-backed parts (anon_MiB: the Go heap and runtime;
// file_MiB: Badger's mapped files and the binary) and the peak VmHWM
// (hwm_MiB) of /proc/PID/status as soon as the command has returned, and
// its import time (import_s). With several runs each figure is the
// largest, so the parts need not add up to rss_MiB.
func BenchmarkImportMemory(b *testing.B) {
	n := importCertificates()
	file := filepath.Join(b.TempDir(), "year.csv")
	if err := os.WriteFile(file, yearCSV(n), 0o600); err != nil {
		b.Fatal(err)
	}
	var worst importFigures
	for range b.N {
		f := importMemory(b, file)
		worst = importFigures{max(worst.idle, f.idle), max(worst.rss, f.rss), max(worst.anon, f.anon),
			max(worst.file, f.file), max(worst.hwm, f.hwm), worst.took + f.took}
	}
	b.ReportMetric(float64(worst.idle)/(1<<20), "idle_rss_MiB")
	b.ReportMetric(float64(worst.rss)/(1<<20), "rss_MiB")
	b.ReportMetric(float64(worst.anon)/(1<<20), "anon_MiB")
	b.ReportMetric(float64(worst.file)/(1<<20), "file_MiB")
	b.ReportMetric(float64(worst.hwm)/(1<<20), "hwm_MiB")
	b.ReportMetric(worst.took.Seconds()/float64(b.N), "import_s")
	b.ReportMetric(float64(2*n), "rows")
}

// importFigures is what one run of BenchmarkImportMemory reads, in bytes:
// VmRSS idle and after the import, RssAnon and RssFile after it, VmHWM;
// and the time kpnode import took.
type importFigures struct {
	idle, rss, anon, file, hwm int64
	took                       time.Duration
}

// importMemory imports file into a daemon on a fresh home and returns its
// resident memory idle, after the import (with its parts) and at its
// peak, and the time kpnode import took. Setting up the daemon is not
// timed.
func importMemory(b *testing.B, file string) importFigures {
	b.StopTimer()
	home := filepath.Join(b.TempDir(), "in")
	peerExec(b, "init", "--participant", "IN", "--name", "India KP Authority", "--home", home, "--listen", peerListen(b))
	d := startPeerDaemon(b, home)
	defer d.stop(b)
	waitAPI(b, d)
	pid := d.cmd.Process.Pid
	f := importFigures{idle: procRSS(pid)}
	b.StartTimer()
	start := time.Now()
	out, err := exec.Command("kpnode", "import", "certificates", file, "--home", home).CombinedOutput()
	f.took = time.Since(start)
	b.StopTimer()
	if err != nil || !bytes.Contains(out, []byte("Imported ")) {
		b.Fatalf("kpnode import: %v\n%s\n%s", err, out, d.tail())
	}
	f.rss, f.anon, f.file, f.hwm = procRSS(pid), procMem(pid, "RssAnon"), procMem(pid, "RssFile"), procMem(pid, "VmHWM")
	return f
}

// yearCSV is n two-line certificates IN0000001… of a year's trade to BE
// in the import format, issued over the year.
func yearCSV(n int) []byte {
	var b bytes.Buffer
	b.WriteString("number,issuer,issuing_authority,issued,expires,exporter_name,exporter_licence,exporter_country,importer_name,importer_licence,importer_country,destination,origin,parcels,hs_code,carats,value_usd\n")
	for i := 1; i <= n; i++ {
		day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i%365)
		head := fmt.Sprintf("IN%07d,IN,KP Authority of India,%s,%s,Example Exports Pvt Ltd,GJEPC/KP/2026/%05d,IN,Example Diamonds BV,FOD-DIA-%06d,BE,BE,MIXED,%d,",
			i, day.Format(time.DateOnly), day.AddDate(0, 2, 0).Format(time.DateOnly), i%90000, i, 1+i%7)
		fmt.Fprintf(&b, "%s7102.31,%d.35,%d.50\n%s7102.21,%d.00,%d.00\n", head, 100+i%3000, 15000+i%400000, head, 10+i%500, 100+i%5000)
	}
	return b.Bytes()
}
