package protocol

import "fmt"

// bodyReader reads a record body of one type from its top-level object,
// reporting problems to the object's checker. It returns a typed pointer
// such as *Certificate, meaningful only when no problem was reported.
type bodyReader func(c *checker, o *object) Record

// bodyReaders holds the reader of every record type of this package, by
// name. It is filled by init functions and read afterwards.
var bodyReaders = map[string]bodyReader{}

// register registers a record type whose bodies read reads, and keeps the
// reader for [ParseRecord] and batches. Its values must be [Record]s.
func register[T any, PT interface {
	*T
	Record
}](name, summary string, read func(*checker, *object) *T) {
	Register(RecordType{
		Name:    name,
		Summary: summary,
		Validate: func(body []byte) error {
			_, err := parseBody(name, body, read)
			return err
		},
	})
	bodyReaders[name] = func(c *checker, o *object) Record { return PT(read(c, o)) }
}

// parseBody decodes body of type typ with read, returning nil and a
// *ValidationError listing every problem, or the value.
func parseBody[T any](typ string, body []byte, read func(*checker, *object) *T) (*T, error) {
	c := &checker{}
	v := read(c, c.document(body, MaxBodySize))
	if err := c.err(typ); err != nil {
		return nil, err
	}
	return v, nil
}

func init() {
	bodyReaders[NoticeType] = func(c *checker, o *object) Record { return c.notice(o) }
}

// ParseRecord decodes and strictly validates a body of type typ, returning
// the typed value: *Notice, *Certificate, *PreNotification,
// *ImportConfirmation, *TradeStatistics, *ProductionStatistics,
// *AnomalyQuery, *AnomalyAnswer, *Acknowledgement, *Withdrawal, *Handover
// or *Batch.
// It returns an error wrapping [ErrUnknownType] for a type without a typed
// parser in this package, or a *[ValidationError]. On error the value is
// nil.
func ParseRecord(typ string, body []byte) (Record, error) {
	read, ok := bodyReaders[typ]
	if !ok {
		return nil, fmt.Errorf("parse record: type %q: %w", truncate(typ, 40), ErrUnknownType)
	}
	c := &checker{}
	v := read(c, c.document(body, MaxBodySize))
	if err := c.err(typ); err != nil {
		return nil, err
	}
	return v, nil
}

// keyed is a record with a natural key.
type keyed interface{ NaturalKey() string }

// NaturalKey validates body as a record of type typ and returns its natural
// key, the identity under which an authority's node de-duplicates and
// indexes it (docs/records.md, Natural keys):
//
//	certificate/IN/IN0001234
//	pre_notification/IN/IN0001234
//	import_confirmation/IN/IN0001234
//	trade_statistics/IN/2011-Q3/export/BE/7102.31
//	production_statistics/BW/2011-H2
//
// Types without one (notice, anomaly_query, anomaly_answer,
// acknowledgement, withdrawal, and batch, whose items each have their own)
// give "". Errors are those of [ParseRecord]; a registered type without a
// typed parser is validated and gives "".
func NaturalKey(typ string, body []byte) (string, error) {
	if _, ok := bodyReaders[typ]; !ok {
		if err := ValidateRecord(typ, body); err != nil {
			return "", err
		}
		return "", nil
	}
	v, err := ParseRecord(typ, body)
	if err != nil {
		return "", err
	}
	if k, ok := v.(keyed); ok {
		return k.NaturalKey(), nil
	}
	return "", nil
}
