package testnet

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/kpnode/kpnode/testnet/trade"
)

// SoakOptions tunes [RunSoak].
type SoakOptions struct {
	Dir      string        // the network's directory (must not hold one)
	Runner   Runner        // a ProcessRunner: the samples read the processes in /proc
	Duration time.Duration // how long the nodes run under load and faults
	Out      string        // where soak.csv and soak.svg go
	// Every is the sampling interval (default 10 s).
	Every time.Duration
	Logf  func(format string, args ...any)
}

// Soak rates: a year of trade compressed 100-fold (a day of trade every
// 864 s), at real volumes (the generator's Scale 10, its Scale 1 being a
// tenth of them).
const (
	soakCompression = 100
	soakScale       = 10
)

// soakParticipants are the five nodes of a soak, fully meshed.
var soakParticipants = []string{"IN", "BE", "AE", "ZA", "BW"}

// SoakResult is what a soak measured and its verdict.
type SoakResult struct {
	Samples  []Sample
	Growths  []Growth
	Acked    int      // records whose publish was acknowledged
	Refused  int      // records a node refused (4xx): not acknowledged
	Kills    int      // partners killed and restarted
	Heals    int      // partitions healed
	Lost     []string // acknowledged records missing somewhere at the end
	Problems []string // the end check's other problems
}

// OK reports whether nothing grew beyond its bound, no acknowledged
// record was lost and the end check passed.
func (r *SoakResult) OK() bool {
	return len(r.Lost) == 0 && len(r.Problems) == 0 && !slices.ContainsFunc(r.Growths, func(g Growth) bool { return !g.OK() })
}

// ack is a publish the author's node acknowledged.
type ack struct {
	author string
	seq    uint64
	to     []string
	at     float64 // seconds since the start
}

// RunSoak runs five fully meshed nodes for o.Duration at a year's trade
// rate compressed 100-fold, killing (SIGKILL) and restarting a partner
// every few minutes and healing a partition every ten (both scaled down
// for runs shorter than 40 minutes), sampling every member every o.Every;
// then it heals, waits for convergence, checks that every acknowledged
// record is at its author and every audience member, fits the samples and
// writes soak.csv and soak.svg to o.Out.
func RunSoak(ctx context.Context, o SoakOptions) (*SoakResult, error) {
	if o.Every <= 0 {
		o.Every = 10 * time.Second
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	n, err := Create(o.Dir, soakParticipants, "full", o.Runner)
	if err != nil {
		return nil, err
	}
	defer n.Down()
	if err := n.Up(ctx); err != nil {
		return nil, err
	}
	items, perSec, err := soakTrade(n)
	if err != nil {
		return nil, err
	}
	o.Logf("soak: %s at %.3f records/s (a year of trade compressed %d-fold)", o.Duration, perSec, soakCompression)
	res := &SoakResult{}
	start := time.Now()
	pubCtx, stopPub := context.WithCancel(ctx)
	var acks []ack
	var wg sync.WaitGroup
	wg.Go(func() { acks, res.Refused = n.soakPublish(pubCtx, items, perSec, start) })
	err = n.soakFaults(ctx, o, start, res)
	stopPub()
	wg.Wait()
	res.Acked = len(acks)
	if err != nil {
		return res, err
	}
	end := time.Since(start).Seconds()
	if err := n.soakFinish(ctx, acks, res); err != nil {
		return res, err
	}
	from := end / 3
	recent := 0
	for _, a := range acks {
		if a.at >= from {
			recent++
		}
	}
	res.Growths = Growths(res.Samples, soakParticipants, from, end, recent)
	return res, writeSoakFiles(o.Out, res.Samples)
}

// soakTrade generates 90 days of clean trade for the soak's links and
// returns its items with the rate to publish them at.
func soakTrade(n *Network) ([]trade.Item, float64, error) {
	links := make([][2]string, len(n.st.Spec.Links))
	for i, l := range n.st.Spec.Links {
		links[i] = l
	}
	plan, err := trade.Generate(trade.Options{Participants: n.st.Spec.Participants, Links: links,
		Days: trade.DefaultDays, Seed: 1, Scale: soakScale, Now: time.Now().UTC()})
	if err != nil {
		return nil, 0, fmt.Errorf("generate trade: %w", err)
	}
	days := float64(plan.To.Time().Sub(plan.From.Time())/(24*time.Hour)) + 1
	return plan.Items, float64(len(plan.Items)) / days * soakCompression / 86400, nil
}

// soakPublish publishes items in order at perSec until ctx ends, retrying
// an item whose author does not answer; it returns the acknowledged
// publishes and how many were refused.
func (n *Network) soakPublish(ctx context.Context, items []trade.Item, perSec float64, start time.Time) ([]ack, int) {
	var acks []ack
	refused := 0
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for i := 0; i < len(items); {
		select {
		case <-ctx.Done():
			return acks, refused
		case <-tick.C:
		}
		due := int(time.Since(start).Seconds() * perSec)
		for ; i < len(items) && i < due && ctx.Err() == nil; i++ {
			it := items[i]
			seq, err := n.publishSeq(ctx, it.Author, it.Type, it.Record, it.To)
			switch {
			case err == nil:
				acks = append(acks, ack{author: it.Author, seq: seq, to: it.To, at: time.Since(start).Seconds()})
			case isRefusal(err):
				refused++
			default:
				i-- // the author is down: try again at the next tick
			}
			if err != nil && !isRefusal(err) {
				break
			}
		}
	}
	return acks, refused
}

// publishSeq publishes a record and returns the sequence number of its
// entry in the author's feed.
func (n *Network) publishSeq(ctx context.Context, author, typ string, record []byte, to []string) (uint64, error) {
	m, err := n.Member(author)
	if err != nil {
		return 0, err
	}
	body, err := json.Marshal(map[string]any{"to": to, "record": json.RawMessage(record)})
	if err != nil {
		return 0, err
	}
	var p struct {
		Seq uint64 `json:"seq"`
	}
	if err := n.call(ctx, m, "POST", "/api/records/"+typ, body, &p); err != nil {
		return 0, err
	}
	return p.Seq, nil
}

// soakFaults samples every member every o.Every and injects the faults
// until o.Duration has passed: a partner killed and restarted every
// killEvery (round robin), a partition of two nodes from three every
// cutEvery, healed after a third of it.
func (n *Network) soakFaults(ctx context.Context, o SoakOptions, start time.Time, res *SoakResult) error {
	killEvery := min(3*time.Minute, o.Duration/4)
	cutEvery := min(10*time.Minute, o.Duration/2)
	sampleT, killT, cutT := time.NewTicker(o.Every), time.NewTicker(killEvery), time.NewTicker(cutEvery)
	defer sampleT.Stop()
	defer killT.Stop()
	defer cutT.Stop()
	deadline := time.After(o.Duration)
	var healAt <-chan time.Time
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline:
			return nil
		case <-sampleT.C:
			for _, m := range n.st.Members {
				s, err := n.sample(ctx, m, time.Since(start).Seconds())
				if err != nil {
					return err
				}
				res.Samples = append(res.Samples, s)
			}
		case <-killT.C:
			code := soakParticipants[res.Kills%len(soakParticipants)]
			o.Logf("soak: %4.0f s: kill and restart %s", time.Since(start).Seconds(), code)
			if err := n.Stop(true, code); err != nil {
				return err
			}
			if err := n.Start(ctx, code); err != nil {
				return err
			}
			res.Kills++
		case <-cutT.C:
			a, b := soakParticipants[i%5], soakParticipants[(i+1)%5]
			o.Logf("soak: %4.0f s: partition %s,%s from the others", time.Since(start).Seconds(), a, b)
			if err := n.Partition(ctx, [][]string{{a, b}}); err != nil {
				return err
			}
			healAt = time.After(cutEvery / 3)
		case <-healAt:
			o.Logf("soak: %4.0f s: heal", time.Since(start).Seconds())
			if err := n.Heal(ctx); err != nil {
				return err
			}
			res.Heals++
			healAt = nil
		}
	}
}

// soakFinish heals, starts every member, waits for convergence and
// checks the acknowledged records.
func (n *Network) soakFinish(ctx context.Context, acks []ack, res *SoakResult) error {
	if err := n.Heal(ctx); err != nil {
		return err
	}
	if err := n.Up(ctx); err != nil {
		return err
	}
	rep, err := n.Check(ctx, CheckOptions{Timeout: 5 * time.Minute})
	if err != nil {
		return err
	}
	res.Problems = rep.Problems
	held := map[string]map[uint64]bool{} // holder/author → seqs held with their record
	for _, a := range acks {
		for _, c := range append([]string{a.author}, a.to...) {
			key := c + "/" + a.author
			if held[key] == nil {
				if held[key], err = n.heldSeqs(ctx, c, a.author); err != nil {
					return err
				}
			}
			if !held[key][a.seq] {
				res.Lost = append(res.Lost, fmt.Sprintf("%s lacks %s's acknowledged entry %d", c, a.author, a.seq))
			}
		}
	}
	return nil
}

// heldSeqs returns the sequence numbers of author's entries that member
// code holds with their record.
func (n *Network) heldSeqs(ctx context.Context, code, author string) (map[uint64]bool, error) {
	m, err := n.Member(code)
	if err != nil {
		return nil, err
	}
	out := map[uint64]bool{}
	for next := uint64(1); ; {
		var page []struct {
			Seq    uint64          `json:"seq"`
			Record json.RawMessage `json:"record"`
		}
		path := "/api/feeds/" + author + "/entries?limit=2000&from=" + strconv.FormatUint(next, 10)
		if err := n.call(ctx, m, "GET", path, nil, &page); err != nil {
			return nil, fmt.Errorf("%s's copy of %s's feed: %w", code, author, err)
		}
		for _, e := range page {
			if len(e.Record) > 0 {
				out[e.Seq] = true
			}
			next = e.Seq + 1
		}
		if len(page) < 2000 {
			return out, nil
		}
	}
}

// writeSoakFiles writes the samples as soak.csv and soak.svg in dir.
func writeSoakFiles(dir string, samples []Sample) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, "soak.csv"))
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	w.Write([]string{"seconds", "node", "up", "rss_mib", "goroutines", "open_files", "badger_mib", "api_ms"})
	for _, s := range samples {
		num := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
		w.Write([]string{num(math.Round(s.At*10) / 10), s.Code, strconv.FormatBool(s.Up), num(s.RSSMB), num(s.Goroutines), num(s.OpenFiles), num(s.BadgerMB), num(s.APIms)})
	}
	w.Flush()
	if err := errors.Join(w.Error(), f.Close()); err != nil {
		return err
	}
	g, err := os.Create(filepath.Join(dir, "soak.svg"))
	if err != nil {
		return err
	}
	return errors.Join(WriteSoakSVG(g, samples, soakParticipants), g.Close())
}
