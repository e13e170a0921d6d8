package node

import (
	"maps"
	"sync"
)

// counters counts what happened to entries, by name ("entries_received",
// "rejected_malformed", …), for status and metrics.
type counters struct {
	mu sync.Mutex // guards m
	m  map[string]uint64
}

func newCounters() *counters { return &counters{m: map[string]uint64{}} }

func (c *counters) add(name string, d uint64) {
	c.mu.Lock()
	c.m[name] += d
	c.mu.Unlock()
}

func (c *counters) snapshot() map[string]uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.m)
}
