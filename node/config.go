package node

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/kpnode/kpnode/node/internal/reach"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/reconcile"
	ma "github.com/multiformats/go-multiaddr"
)

// Config is a node's configuration, stored as config.json in its home.
type Config struct {
	// Participant is the participant code this node speaks for ("IN").
	Participant string `json:"participant"`
	// Name is the authority's human name ("India KP Authority").
	Name string `json:"name"`
	// Listen are the libp2p listen multiaddrs (TCP and QUIC). Empty: the
	// node only dials out (behind NAT), and partners reach it through a
	// partner's relay.
	Listen []string `json:"listen"`
	// Announce, when set, are the addresses the card and identify
	// advertise instead of the listen ones: what partners dial (a NAT's
	// public address and forwarded port, a /dns4 or /dnsaddr name).
	Announce []string `json:"announce,omitempty"` // reach: config fields
	// API is the HOST:PORT of the local HTTP API. It should stay on loopback.
	API string `json:"api"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `json:"log_level"`
	// SyncInterval is how often the node syncs with each connected
	// partner even when nothing seems missing.
	SyncInterval Duration `json:"sync_interval"`
	// StallAfter flags a partner's delivery as stalled when its lag has
	// not shrunk for this long.
	StallAfter Duration `json:"stall_after"`
	// Reconcile holds the thresholds of the cross-checks (docs/reconcile.md),
	// with per-partner overrides.
	Reconcile reconcile.Config `json:"reconcile"`
	// StoreMinFreeMB is the free space, in MiB, the daemon keeps in reserve
	// on the store's disk: below it, writes fail with store.ErrFull and
	// reads go on (docs/operations.md, "When the disk is full"). 0 means
	// store.DefaultMinFree (256 MiB); -1 turns the check off.
	StoreMinFreeMB int64 `json:"store_min_free_mb,omitempty"`
	// Reach is how the node stays reachable behind NAT and firewalls:
	// announce addresses, relay service, port mapping, the unreachable
	// partner warning (docs/operations.md).
	Reach reach.Config `json:"reach"` // reach: config fields
	// AttachmentEagerMB is the size, in MiB, up to which a record's files
	// are fetched as soon as the record arrives; larger ones are fetched
	// when asked for (kpnode attachments get). 0 means 8 MiB; -1 fetches
	// none eagerly.
	AttachmentEagerMB int64 `json:"attachment_eager_mb,omitempty"`
	// AttachmentRetention is how long a blob no record this node reads
	// names is kept after it was first stored (a blob relayed for a
	// partner, a file added but never published, the file of a record
	// since corrected): then the collection pass deletes it. 0 means 7
	// days ("168h"); at least 1h.
	AttachmentRetention Duration `json:"attachment_retention,omitempty"`
}

// attachmentRetention is [Config.AttachmentRetention] or its default.
func (c Config) attachmentRetention() time.Duration {
	if c.AttachmentRetention == 0 {
		return defaultAttachmentRetention
	}
	return c.AttachmentRetention.D()
}

// attachmentEager is [Config.AttachmentEagerMB] in bytes.
func (c Config) attachmentEager() int64 {
	switch {
	case c.AttachmentEagerMB < 0:
		return -1
	case c.AttachmentEagerMB == 0:
		return defaultAttachmentEager
	}
	return c.AttachmentEagerMB << 20
}

// StoreMinFree is the reserve in bytes, as [store.Options.MinFree] takes it.
func (c Config) StoreMinFree() int64 {
	if c.StoreMinFreeMB < 0 {
		return -1
	}
	return c.StoreMinFreeMB << 20
}

// Duration is a time.Duration written as "30s", "5m" in the
// configuration: reach's type, so that the node's settings and reach's
// read and write durations alike.
type Duration = reach.Duration

// Default ports of a node; a second node on the same machine needs others.
const (
	DefaultP2PPort = 4101
	DefaultAPIPort = 7441
)

// DefaultConfig returns the configuration init writes for a participant.
func DefaultConfig(participant, name string) Config {
	return Config{
		Participant: participant,
		Name:        name,
		Listen: []string{
			fmt.Sprintf("/ip4/0.0.0.0/tcp/%d", DefaultP2PPort),
			fmt.Sprintf("/ip4/0.0.0.0/udp/%d/quic-v1", DefaultP2PPort),
		},
		API:          fmt.Sprintf("127.0.0.1:%d", DefaultAPIPort),
		LogLevel:     "info",
		SyncInterval: Duration(30 * time.Second),
		StallAfter:   Duration(5 * time.Minute),
		Reconcile:    reconcile.DefaultConfig(),
		Reach:        reach.DefaultConfig(), // reach: defaults
	}
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	if !protocol.AdmissibleCode(c.Participant, true) {
		return fmt.Errorf("%w: participant: %w %q", ErrBadConfig, ErrUnknownParticipant, c.Participant)
	}
	if n := strings.TrimSpace(c.Name); n == "" || len(n) > 200 {
		return fmt.Errorf("%w: name: must be 1 to 200 characters", ErrBadConfig)
	}
	for i, a := range c.Listen {
		if _, err := ma.NewMultiaddr(a); err != nil {
			return fmt.Errorf("%w: listen[%d] %q: %v", ErrBadConfig, i, a, err)
		}
	}
	if _, _, err := net.SplitHostPort(c.API); err != nil {
		return fmt.Errorf("%w: api %q: want HOST:PORT", ErrBadConfig, c.API)
	}
	if _, err := ParseLogLevel(c.LogLevel); err != nil {
		return fmt.Errorf("%w: log_level: %v", ErrBadConfig, err)
	}
	if c.SyncInterval.D() < 100*time.Millisecond {
		return fmt.Errorf("%w: sync_interval: %s is below 100ms", ErrBadConfig, c.SyncInterval.D())
	}
	if c.StallAfter.D() < time.Second {
		return fmt.Errorf("%w: stall_after: %s is below 1s", ErrBadConfig, c.StallAfter.D())
	}
	if c.StoreMinFreeMB < -1 || c.StoreMinFreeMB > 1<<30 {
		return fmt.Errorf("%w: store_min_free_mb: %d is not -1 (off), 0 (default) or a size in MiB up to 1 PiB", ErrBadConfig, c.StoreMinFreeMB)
	}
	if _, err := reach.ParseAnnounce(c.Announce); err != nil { // reach: validation
		return fmt.Errorf("%w: %w", ErrBadConfig, err)
	}
	if err := c.Reach.Validate(); err != nil {
		return fmt.Errorf("%w: reach: %w", ErrBadConfig, err)
	}
	if c.AttachmentEagerMB < -1 || c.AttachmentEagerMB > protocol.MaxAttachmentSize>>20 {
		return fmt.Errorf("%w: attachment_eager_mb: %d is not -1 (none eagerly), 0 (default, 8) or a size in MiB up to %d", ErrBadConfig, c.AttachmentEagerMB, protocol.MaxAttachmentSize>>20)
	}
	if r := c.AttachmentRetention.D(); r != 0 && r < time.Hour {
		return fmt.Errorf("%w: attachment_retention: %s is not 0 (default, 168h) or at least 1h", ErrBadConfig, r)
	}
	if err := c.Reconcile.Validate(); err != nil {
		return fmt.Errorf("%w: reconcile: %w", ErrBadConfig, err)
	}
	return nil
}

// ParseLogLevel parses debug, info, warn or error ("" is info).
func ParseLogLevel(s string) (slog.Level, error) {
	var l slog.Level
	if s == "" {
		return slog.LevelInfo, nil
	}
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return l, fmt.Errorf("unknown log level %q (want debug, info, warn or error)", s)
	}
	return l, nil
}

// LoadConfig reads and validates a configuration file.
func LoadConfig(path string) (Config, error) {
	c := DefaultConfig("", "") // fields the file omits keep their defaults
	b, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("read config: %w", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("%w: %s: %v", ErrBadConfig, path, err)
	}
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// WriteFile writes the configuration as indented JSON to path (0600),
// the form [LoadConfig] reads.
func (c Config) WriteFile(path string) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o600)
}
