package node

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzLoadConfig hands LoadConfig arbitrary config.json files: it must
// never panic, must refuse with ErrBadConfig (naming the file) or a read
// error, and a configuration it accepts must validate and write back to a
// file that loads to the same configuration.
func FuzzLoadConfig(f *testing.F) {
	c := DefaultConfig("IN", "India KP Authority")
	c.StoreMinFreeMB = 512
	dir := f.TempDir()
	if err := c.WriteFile(filepath.Join(dir, "seed.json")); err != nil {
		f.Fatal(err)
	}
	good, err := os.ReadFile(filepath.Join(dir, "seed.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"participant": "BE", "name": "x", "sync_interval": "1ms"}`))
	f.Add([]byte(`{"participant": "EU", "name": "EU", "listen": ["/ip4/1.2.3.4/tcp/1"], "api": "[::1]:7441", "log_level": "warn"}`))
	f.Add([]byte(`{"participant": "IN", "name": "n", "reconcile": {"partners": {"BE": {}}}, "unknown": 1}`))
	f.Add([]byte(`{"participant": "IN", "name": "n", "stall_after": "-5m", "store_min_free_mb": -2}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "config.json")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := LoadConfig(path)
		if err != nil {
			if !errors.Is(err, ErrBadConfig) {
				t.Fatalf("refusal is not ErrBadConfig: %v", err)
			}
			return
		}
		if err := got.Validate(); err != nil {
			t.Fatalf("an accepted config does not validate: %v", err)
		}
		again := filepath.Join(dir, "again.json")
		if err := got.WriteFile(again); err != nil {
			t.Fatal(err)
		}
		back, err := LoadConfig(again)
		if err != nil || !reflect.DeepEqual(back, got) {
			t.Fatalf("an accepted config does not read back: %v\n got %+v\nback %+v", err, got, back)
		}
	})
}
