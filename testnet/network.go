package testnet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kpnode/kpnode/home"
	"github.com/kpnode/kpnode/node"
	"github.com/kpnode/kpnode/protocol"
)

// StateFile is the name of the network's state file in its directory.
const StateFile = "testnet.json"

// startTimeout bounds how long a member may take to answer its API after
// a start.
const startTimeout = 60 * time.Second

// Member is one participant of the network: its node home and the fixed
// loopback ports it listens on, so that a restarted node keeps the
// addresses its partners know.
type Member struct {
	Code    string `json:"code"`
	Home    string `json:"home"`
	P2PPort int    `json:"p2p_port"`
	APIPort int    `json:"api_port"`
	// PID is the process running the member under a [ProcessRunner]; 0
	// otherwise.
	PID int `json:"pid,omitempty"`
}

// API returns the member's API address, HOST:PORT.
func (m *Member) API() string { return fmt.Sprintf("127.0.0.1:%d", m.APIPort) }

// Dashboard returns the member's dashboard URL.
func (m *Member) Dashboard() string { return "http://" + m.API() + "/" }

// Spec is what a network is made of.
type Spec struct {
	Participants []string `json:"participants"`
	Topology     string   `json:"topology"`
	Links        []Link   `json:"links"`
	// NAT are the members behind a simulated NAT: they listen on nothing
	// and dial out only (see [ParseNAT]).
	NAT []string `json:"nat,omitempty"`
}

// state is the content of the state file.
type state struct {
	Spec      Spec       `json:"spec"`
	Members   []*Member  `json:"members"`
	Partition [][]string `json:"partition,omitempty"`
}

// Network is a testnet in a directory, run by a [Runner].
type Network struct {
	Dir    string
	runner Runner
	st     state

	mu      sync.Mutex         // guards clients
	clients map[string]*client // by member code, made on first use
}

// Create makes a new network in dir (which must not hold one): a node
// home per participant on fixed free loopback ports, and the state file.
// Nothing is started.
func Create(dir string, participants []string, topology string, r Runner) (*Network, error) {
	return CreateBehindNAT(dir, participants, topology, "", r)
}

// CreateBehindNAT is [Create] with the members nat names ("AE,ZA", see
// [ParseNAT]) behind a simulated NAT.
func CreateBehindNAT(dir string, participants []string, topology, nat string, r Runner) (*Network, error) {
	links, err := ParseTopology(topology, participants)
	if err != nil {
		return nil, err
	}
	natted, err := ParseNAT(nat, participants, links)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, StateFile)); err == nil {
		return nil, fmt.Errorf("%s already holds a testnet: run `kpnode testnet down --dir %s` first, or choose another --dir", dir, dir)
	}
	n := &Network{Dir: dir, runner: r, st: state{Spec: Spec{Participants: participants, Topology: topology, Links: links, NAT: natted}}}
	for _, code := range participants {
		m, err := n.initMember(code)
		if err != nil {
			return nil, err
		}
		n.st.Members = append(n.st.Members, m)
	}
	return n, n.save()
}

func (n *Network) initMember(code string) (*Member, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(filepath.Join(n.Dir, strings.ToLower(code)))
	if err != nil {
		return nil, err
	}
	m := &Member{Code: code, Home: dir, P2PPort: ports[0], APIPort: ports[1]}
	p, _ := protocol.LookupParticipant(code)
	cfg := node.DefaultConfig(code, p.Name+" (testnet)")
	cfg.Listen = []string{fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", m.P2PPort)}
	if slices.Contains(n.st.Spec.NAT, code) {
		cfg.Listen = []string{} // behind NAT: dial out only, reached through a relaying partner
	}
	cfg.API = m.API()
	cfg.SyncInterval = node.Duration(5 * time.Second)
	if _, err := home.InitHome(dir, cfg, home.InitOptions{}); err != nil {
		return nil, fmt.Errorf("init %s: %w", code, err)
	}
	return m, nil
}

// freePorts returns k loopback TCP ports that are free now, chosen below
// the kernel's ephemeral range: a port from that range (what listening on
// port 0 gives) can be taken, before its member starts, by an outgoing
// connection of a member already running, and a 20-node full mesh makes
// hundreds of those. The ports are probed by listening on them; a port in
// use (by another testnet's running member, say) is skipped.
func freePorts(k int) ([]int, error) {
	lo, hi := portWindow()
	span := hi - lo
	var out []int
	var lns []net.Listener
	defer func() {
		for _, l := range lns {
			l.Close()
		}
	}()
	start := rand.IntN(span)
	for i := 0; i < span && len(out) < k; i++ {
		port := lo + (start+i)%span
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		lns = append(lns, l)
		out = append(out, port)
	}
	if len(out) < k {
		return nil, fmt.Errorf("find %d free ports in %d-%d: only %d are free", k, lo, hi-1, len(out))
	}
	return out, nil
}

// portWindow is the range of ports freePorts picks from, [lo, hi): the
// 10,000 ports below the kernel's ephemeral range (Linux:
// /proc/sys/net/ipv4/ip_local_port_range), or 20000-29999 where it
// cannot be read.
func portWindow() (lo, hi int) {
	hi = 30000
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if v, err := strconv.Atoi(f[0]); err == nil && v > 11024 {
				hi = v
			}
		}
	}
	return hi - 10000, hi
}

// Open loads the network in dir.
func Open(dir string, r Runner) (*Network, error) {
	b, err := os.ReadFile(filepath.Join(dir, StateFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no testnet in %s (start one with `kpnode testnet up --dir %s`)", dir, dir)
	}
	if err != nil {
		return nil, err
	}
	n := &Network{Dir: dir, runner: r}
	if err := json.Unmarshal(b, &n.st); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, StateFile), err)
	}
	return n, nil
}

// save writes the state file atomically.
func (n *Network) save() error {
	b, err := json.MarshalIndent(n.st, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(n.Dir, StateFile+".tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(n.Dir, StateFile))
}

// Spec returns what the network is made of.
func (n *Network) Spec() Spec { return n.st.Spec }

// Members returns the members in participant order.
func (n *Network) Members() []*Member { return n.st.Members }

// Member returns the member with code, or an error naming the codes.
func (n *Network) Member(code string) (*Member, error) {
	code = strings.ToUpper(code)
	for _, m := range n.st.Members {
		if m.Code == code {
			return m, nil
		}
	}
	return nil, fmt.Errorf("%s is not in this testnet (members: %s)", code, strings.Join(n.st.Spec.Participants, ", "))
}

// Up starts every member that is not running and pins partners' cards as
// the topology says (again, harmlessly, for members already pinned).
func (n *Network) Up(ctx context.Context) error {
	for _, m := range n.st.Members {
		if _, err := n.start(ctx, m); err != nil {
			return err
		}
	}
	if err := n.pinAll(ctx); err != nil {
		return err
	}
	return n.applyLinksAll(ctx)
}

// pinAll makes every linked pair pin each other's card.
func (n *Network) pinAll(ctx context.Context) error {
	cards := map[string][]byte{}
	for _, m := range n.st.Members {
		var card []byte
		if err := n.call(ctx, m, "GET", "/api/card", nil, &card); err != nil {
			return fmt.Errorf("card of %s: %w", m.Code, err)
		}
		cards[m.Code] = card
	}
	for _, l := range n.st.Spec.Links {
		for _, p := range [][2]string{{l[0], l[1]}, {l[1], l[0]}} {
			m, _ := n.Member(p[0])
			if err := n.call(ctx, m, "POST", "/api/partners", cards[p[1]], nil); err != nil {
				return fmt.Errorf("%s pins %s: %w", p[0], p[1], err)
			}
		}
	}
	return nil
}

// Start starts members, waits (bounded) until each API answers, and
// pauses or resumes their partners as the current partition says.
func (n *Network) Start(ctx context.Context, codes ...string) error {
	for _, c := range codes {
		m, err := n.Member(c)
		if err != nil {
			return err
		}
		moved, err := n.start(ctx, m)
		if err != nil {
			return err
		}
		if moved {
			if err := n.repin(ctx, m); err != nil {
				return err
			}
		}
		if err := n.applyLinks(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// start starts m unless it runs, and waits until its API answers. When
// its ports were taken by another program meanwhile, it is moved to fresh
// ones and started again (at most startAttempts starts); moved says so,
// for partners that pinned its old address.
func (n *Network) start(ctx context.Context, m *Member) (moved bool, err error) {
	if n.runner.Running(m) {
		return false, nil
	}
	for attempt := 1; ; attempt++ {
		offset := logSize(m)
		err = n.startOnce(ctx, m)
		if err == nil || attempt == startAttempts || n.runner.Running(m) || !portTaken(m, offset, err) {
			return moved, err
		}
		if err := n.movePorts(m); err != nil {
			return moved, err
		}
		moved = true
	}
}

func (n *Network) startOnce(ctx context.Context, m *Member) error {
	if err := n.runner.Start(m); err != nil {
		return fmt.Errorf("start %s: %w", m.Code, err)
	}
	if err := n.save(); err != nil {
		return err
	}
	return n.waitReady(ctx, m)
}

// waitReady polls the member's status until it answers.
func (n *Network) waitReady(ctx context.Context, m *Member) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	var last error
	for {
		if last = n.call(ctx, m, "GET", "/api/status", nil, nil); last == nil {
			return nil
		}
		if !n.runner.Running(m) {
			return fmt.Errorf("%s exited while starting; see %s", m.Code, logPath(m))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer within %s: %v; see %s", m.Code, startTimeout, last, logPath(m))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Stop stops members gracefully, or kills them (SIGKILL for processes).
func (n *Network) Stop(kill bool, codes ...string) error {
	for _, c := range codes {
		m, err := n.Member(c)
		if err != nil {
			return err
		}
		if err := n.runner.Stop(m, kill); err != nil {
			return fmt.Errorf("stop %s: %w", m.Code, err)
		}
	}
	return n.save()
}

// Down stops every member. The homes stay on disk.
func (n *Network) Down() error {
	var errs []error
	for _, m := range n.st.Members {
		if err := n.runner.Stop(m, false); err != nil {
			errs = append(errs, fmt.Errorf("stop %s: %w", m.Code, err))
		}
	}
	errs = append(errs, n.save())
	return errors.Join(errs...)
}

// Running reports whether member code runs now.
func (n *Network) Running(code string) bool {
	m, err := n.Member(code)
	return err == nil && n.runner.Running(m)
}

// call sends one API request to member m with a 60 s timeout.
func (n *Network) call(ctx context.Context, m *Member, method, path string, body []byte, out any) error {
	c, err := n.client(m)
	if err != nil {
		return err
	}
	return c.do(ctx, method, path, body, out)
}

// client returns member m's API client, reading its token once.
func (n *Network) client(m *Member) (*client, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if c, ok := n.clients[m.Code]; ok {
		return c, nil
	}
	c, err := newClient(m, 60*time.Second)
	if err != nil {
		return nil, err
	}
	if n.clients == nil {
		n.clients = map[string]*client{}
	}
	n.clients[m.Code] = c
	return c, nil
}

// logPath is where a member's node log goes.
func logPath(m *Member) string { return filepath.Join(m.Home, "node.log") }

// LogPath returns the file member code logs to.
func (n *Network) LogPath(code string) (string, error) {
	m, err := n.Member(code)
	if err != nil {
		return "", err
	}
	return logPath(m), nil
}

// Publish publishes one record through member author's API.
func (n *Network) Publish(ctx context.Context, author, typ string, record []byte, to []string) error {
	m, err := n.Member(author)
	if err != nil {
		return err
	}
	body, err := json.Marshal(map[string]any{"to": to, "record": json.RawMessage(record)})
	if err != nil {
		return err
	}
	return n.call(ctx, m, "POST", "/api/records/"+typ, body, nil)
}
