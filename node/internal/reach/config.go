package reach

import (
	"fmt"
	"time"
)

// Config is how a node makes itself reachable, the "reach" object of the
// node's config.json. The addresses it listens on and announces are the
// node's own settings, given to [HostOptions] beside it.
type Config struct {
	// RelayService makes the node a circuit relay (v2) for its pinned
	// partners only, and nobody else, within [RecordLimits].
	RelayService bool `json:"relay_service"`
	// Private says the node is behind NAT even though it listens: it
	// reserves slots on its partners' relays and advertises the relay
	// addresses instead of public ones. A node with no listen address is
	// private whatever this says.
	Private bool `json:"private,omitempty"`
	// PortMapping asks the router for a port by UPnP or NAT-PMP. Off by
	// default: it opens a port on the site's router, the operator's call.
	PortMapping bool `json:"port_mapping,omitempty"`
	// Proxy is the HTTP(S) proxy through which WebSocket (wss) dials go,
	// "http://HOST:PORT"; empty: HTTPS_PROXY from the environment, if set.
	Proxy string `json:"proxy,omitempty"`
	// UnreachableAfter is how long a pinned partner may stay unreachable
	// before a WARN names it and the addresses tried.
	UnreachableAfter Duration `json:"unreachable_after"`
}

// DefaultConfig is the configuration a new node gets: relay service on
// (for pinned partners only), no port mapping, a WARN after 10 minutes
// without a partner.
func DefaultConfig() Config {
	return Config{RelayService: true, UnreachableAfter: Duration(10 * time.Minute)}
}

// Validate reports the first invalid field, named as in config.json.
func (c Config) Validate() error {
	if _, err := ParseProxy(c.Proxy); err != nil {
		return err
	}
	if c.UnreachableAfter.D() < time.Second {
		return fmt.Errorf("unreachable_after: %s is below 1s", c.UnreachableAfter.D())
	}
	return nil
}

// Duration is a time.Duration written as "30s", "5m" in the configuration.
type Duration time.Duration

// D returns the duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// MarshalText writes the duration as "30s".
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText parses "30s", "5m".
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("duration %q: want a number and a unit, such as 30s or 5m", b)
	}
	*d = Duration(v)
	return nil
}
