package node

import (
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/store"
)

// keyed is a record with a natural key (certificates, confirmations,
// statistics, …).
type keyed interface{ NaturalKey() string }

// parsedRecord is a record body parsed into its typed values: one value,
// or one per batch item.
type parsedRecord struct {
	typ    string
	top    protocol.Record   // the parsed body: *protocol.Batch, *protocol.Certificate, …
	values []protocol.Record // *protocol.Certificate, …; one per batch item
}

// parseRecord validates a body and returns its typed values. Types without
// a typed parser are validated only.
func parseRecord(typ string, body []byte) (parsedRecord, error) {
	v, err := protocol.ParseRecord(typ, body)
	if err != nil {
		if _, ok := protocol.LookupType(typ); ok {
			return parsedRecord{typ: typ}, protocol.ValidateRecord(typ, body)
		}
		return parsedRecord{}, err
	}
	if b, ok := v.(*protocol.Batch); ok {
		return parsedRecord{typ: b.Type, top: v, values: b.Records}, nil
	}
	return parsedRecord{typ: typ, top: v, values: []protocol.Record{v}}, nil
}

// keys returns the natural keys of the record's values, with their item
// positions.
func (p parsedRecord) keys() []store.RecordKey {
	var out []store.RecordKey
	for i, v := range p.values {
		if k, ok := v.(keyed); ok && k.NaturalKey() != "" {
			out = append(out, store.RecordKey{Key: k.NaturalKey(), Item: i})
		}
	}
	return out
}

// authoredKeys returns the natural keys of the values the node of
// participant feed may write (protocol.CheckAuthor), and how many values
// it may not: those are evidence, indexed under no key.
func (p parsedRecord) authoredKeys(feed string) (keys []store.RecordKey, foreign int) {
	for i, v := range p.values {
		if protocol.CheckAuthor(feed, v) != nil {
			foreign++
			continue
		}
		if k, ok := v.(keyed); ok && k.NaturalKey() != "" {
			keys = append(keys, store.RecordKey{Key: k.NaturalKey(), Item: i})
		}
	}
	return keys, foreign
}
