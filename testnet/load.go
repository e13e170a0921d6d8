package testnet

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/tabular"
	"github.com/kpnode/kpnode/testnet/trade"
)

// TruthFile is the name of the ground-truth file a load writes in the
// network's directory.
const TruthFile = "truth.json"

// maxImportItems bounds one import request.
const maxImportItems = 1000

// retryFor bounds how long a load keeps retrying a member that does not
// answer (stopped, killed, restarting).
const retryFor = 2 * time.Minute

// LoadOptions tunes [Network.Load].
type LoadOptions struct {
	Days      int   // days of trade (default 90)
	Seed      int64 // the generator's seed
	Anomalies int   // anomalies to inject
	// Progress, when set, is told how many items of the total were
	// published.
	Progress func(done, total int)
}

// LoadResult sums up a load.
type LoadResult struct {
	Items     int            `json:"items"`
	Requests  int            `json:"requests"`
	ByType    map[string]int `json:"by_type"`
	Expected  int            `json:"expected_findings"`
	TruthFile string         `json:"truth_file"`
	Took      time.Duration  `json:"took_ns"`
}

// Load generates trade for the network's participants and links, writes
// the ground truth to truth.json, and publishes every item through its
// author's API: importable types as imports (idempotent, so a request
// cut by a crash is simply sent again), the others one by one. A member
// that does not answer is retried for up to two minutes, so a load
// survives members being killed and restarted meanwhile.
func (n *Network) Load(ctx context.Context, o LoadOptions) (*LoadResult, error) {
	start := time.Now()
	links := make([][2]string, len(n.st.Spec.Links))
	for i, l := range n.st.Spec.Links {
		links[i] = l
	}
	plan, err := trade.Generate(trade.Options{Participants: n.st.Spec.Participants, Links: links,
		Days: o.Days, Seed: o.Seed, Anomalies: o.Anomalies, Now: time.Now().UTC()})
	if err != nil {
		return nil, fmt.Errorf("generate trade: %w", err)
	}
	res := &LoadResult{Items: len(plan.Items), ByType: map[string]int{}, Expected: len(plan.Expected),
		TruthFile: filepath.Join(n.Dir, TruthFile)}
	if err := writeTruth(res.TruthFile, plan); err != nil {
		return nil, err
	}
	done := 0
	queries := map[string]uint64{} // "asker reference" → the query's seq
	for _, c := range chunks(plan.Items) {
		if err := answerQuery(c, queries); err != nil {
			return nil, err
		}
		seq, err := n.publishChunk(ctx, c)
		if err != nil {
			return nil, err
		}
		if err := noteQuery(c, seq, queries); err != nil {
			return nil, err
		}
		res.Requests++
		res.ByType[c.items[0].Type] += len(c.items)
		done += len(c.items)
		if o.Progress != nil {
			o.Progress(done, len(plan.Items))
		}
	}
	res.Took = time.Since(start)
	return res, nil
}

func writeTruth(path string, plan *trade.Plan) error {
	var buf bytes.Buffer
	if err := plan.WriteTruth(&buf); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// ReadTruth reads the ground truth the last load wrote, or nil if the
// network was never loaded.
func (n *Network) ReadTruth() (*trade.Truth, error) {
	f, err := os.Open(filepath.Join(n.Dir, TruthFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := trade.ReadTruth(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	return t, nil
}

// chunk is a run of items that go in one request.
type chunk struct {
	items    []trade.Item
	asImport bool // as an import; else one item published directly
}

// chunks splits items, in publication order, into runs that go in one
// request: same step, author, type and audience, at most maxImportItems,
// and only importable types grouped. An item whose natural key an earlier
// item of the same author already has (an injected duplicate) is
// published directly, since an import would refuse it as a conflict.
func chunks(items []trade.Item) []chunk {
	items = slices.Clone(items)
	slices.SortStableFunc(items, func(a, b trade.Item) int {
		// within a step order does not matter: group each author's items
		return cmp.Or(a.Step-b.Step, strings.Compare(a.Author, b.Author), strings.Compare(a.Type, b.Type),
			slices.Compare(a.To, b.To))
	})
	var out []chunk
	seen := map[string]bool{}
	for _, it := range items {
		imp := importable(it, seen)
		if n := len(out); n > 0 && imp && out[n-1].asImport && sameRun(out[n-1].items[0], it) && len(out[n-1].items) < maxImportItems {
			out[n-1].items = append(out[n-1].items, it)
			continue
		}
		out = append(out, chunk{items: []trade.Item{it}, asImport: imp})
	}
	return out
}

// importable reports whether it can go in an import: its type has an
// import kind and its natural key is new for its author.
func importable(it trade.Item, seen map[string]bool) bool {
	if _, ok := tabular.LookupKind(it.Type); !ok {
		return false
	}
	key, err := protocol.NaturalKey(it.Type, it.Record)
	if err != nil || key == "" {
		return true // the import reports a bad record by row
	}
	k := it.Author + " " + key
	if seen[k] {
		return false
	}
	seen[k] = true
	return true
}

func sameRun(a, b trade.Item) bool {
	return a.Step == b.Step && a.Author == b.Author && a.Type == b.Type && slices.Equal(a.To, b.To)
}

// publishChunk publishes one run of items through its author's API,
// retrying while the author does not answer. It returns the sequence
// number of a record published directly (0 for an import).
func (n *Network) publishChunk(ctx context.Context, c chunk) (uint64, error) {
	it := c.items[0]
	m, err := n.Member(it.Author)
	if err != nil {
		return 0, err
	}
	path, body, err := request(c)
	if err != nil {
		return 0, err
	}
	deadline := time.Now().Add(retryFor)
	for {
		var out struct {
			Seq uint64 `json:"seq"`
		}
		var dst any // an import answers with its report
		if !c.asImport {
			dst = &out
		}
		err := n.call(ctx, m, "POST", path, body, dst)
		if err == nil || isRefusal(err) || time.Now().After(deadline) {
			if err != nil {
				return 0, fmt.Errorf("%s publishes %d %s item(s) to %s: %w", m.Code, len(c.items), it.Type, strings.Join(it.To, ","), err)
			}
			return out.Seq, nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// noteQuery remembers the sequence number of an anomaly query published
// directly, by its asker and reference, for the answers to name it.
func noteQuery(c chunk, seq uint64, queries map[string]uint64) error {
	it := c.items[0]
	if it.Type != protocol.AnomalyQueryType || c.asImport {
		return nil
	}
	var q struct {
		Reference string `json:"reference"`
	}
	if err := json.Unmarshal(it.Record, &q); err != nil || seq == 0 {
		return fmt.Errorf("query of %s: no reference or sequence number (%v)", it.Author, err)
	}
	queries[it.Author+" "+q.Reference] = seq
	return nil
}

// answerQuery names, in an anomaly answer's record, the entry of the
// query it answers, published before it (trade.AnswerTo).
func answerQuery(c chunk, queries map[string]uint64) error {
	for i := range c.items {
		it := &c.items[i]
		if it.Answers == "" {
			continue
		}
		seq, ok := queries[it.To[0]+" "+it.Answers]
		if !ok {
			return fmt.Errorf("answer of %s to %s's query %s: the query was not published", it.Author, it.To[0], it.Answers)
		}
		rec, err := trade.AnswerTo(*it, seq)
		if err != nil {
			return err
		}
		it.Record = rec
	}
	return nil
}

// request returns the API path and body that publish c.
func request(c chunk) (string, []byte, error) {
	it := c.items[0]
	to := strings.Join(it.To, ",")
	if k, _ := tabular.LookupKind(it.Type); c.asImport {
		arr := make([]json.RawMessage, len(c.items))
		for i, c := range c.items {
			arr[i] = c.Record
		}
		body, err := json.Marshal(arr)
		q := url.Values{"to": {to}, "format": {"json"}, "file": {"testnet-" + k.Name}}
		return "/api/imports/" + k.Name + "?" + q.Encode(), body, err
	}
	body, err := json.Marshal(map[string]any{"to": it.To, "record": it.Record})
	return "/api/records/" + it.Type, body, err
}
