package api

import (
	"context"
	"net"
	"net/http"
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
