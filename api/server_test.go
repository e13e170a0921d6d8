package api

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"
)

// TestServeShutdownEndsEventStreams: stopping the server while a client
// holds an event stream open (a dashboard) returns promptly and cleanly.
func TestServeShutdownEndsEventStreams(t *testing.T) {
	_, n := newTestAPI(t, "IN")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, mustHandler(t, n)) }()
	req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+"/api/events", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("events: %d", resp.StatusCode)
	}
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Fatalf("shutdown took %s", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return within 10 s of shutdown")
	}
}

// TestImportOutlivesWriteTimeout: an import that runs longer than the
// server's WriteTimeout still gets its answer (the handler moves its write
// deadline), where before the client saw the connection close on records
// the node had imported. A WriteTimeout of a nanosecond has passed before
// any handler runs, so every import outlives it.
func TestImportOutlivesWriteTimeout(t *testing.T) {
	_, n := newTestAPI(t, "IN")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultServerConfig()
	cfg.WriteTimeout = time.Nanosecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cfg.Serve(ctx, ln, mustHandler(t, n)) }()
	t.Cleanup(func() { cancel(); <-done })
	csv, err := os.ReadFile("../docs/examples/import/certificates.csv")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	for _, path := range []string{"/api/imports/certificates?dry_run=true&file=certs.csv", "/api/imports/certificates?file=certs.csv"} {
		req, _ := http.NewRequest("POST", base+path, bytes.NewReader(csv))
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := (&http.Client{Timeout: time.Minute}).Do(req)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"new"`)) {
			t.Fatalf("%s: %d %s %v", path, resp.StatusCode, body, err)
		}
	}
}
