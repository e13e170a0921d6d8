package protocol

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
)

// BatchType is the record type name of batches.
const BatchType = "batch"

// MaxBatchItems caps the items of one batch.
const MaxBatchItems = 10000

// BatchTypes are the record types a batch may carry, those of bulk import.
// They must not be modified.
var BatchTypes = []string{CertificateType, PreNotificationType, ImportConfirmationType, TradeStatisticsType, ProductionStatisticsType}

func init() {
	register(BatchType, "batch of records of one type, from bulk import", (*checker).batch)
}

// Batch is the body of a "batch" record: 1..[MaxBatchItems] records of one
// of [BatchTypes], each a full body with its own "version", in one entry.
// Item i of a batch entry is named {"seq": entry seq, "item": i} by
// [Supersedes]. A batch's whole body is at most [MaxBodySize].
type Batch struct {
	Version int               `json:"version"` // 1
	Type    string            `json:"type"`    // one of BatchTypes
	Items   []json.RawMessage `json:"items"`   // item bodies, as they appear in the batch
	// Records holds the parsed items, in order: *Certificate and so on,
	// as [ParseRecord] returns for Type.
	Records []Record `json:"-"`
}

// ParseBatch decodes and strictly validates a batch body and every item in
// it with the item type's validator, reporting every problem in a
// *[ValidationError] with paths such as "items[12].lines[0].hs_code". On
// error the batch is nil. The items do not share memory with body.
func ParseBatch(body []byte) (*Batch, error) {
	return parseBody(BatchType, body, (*checker).batch)
}

// BatchItems validates a batch body as [ParseBatch] does and returns its
// item type and item bodies, which do not share memory with body.
func BatchItems(body []byte) (typ string, items [][]byte, err error) {
	b, err := ParseBatch(body)
	if err != nil {
		return "", nil, err
	}
	items = make([][]byte, len(b.Items))
	for i, it := range b.Items {
		items[i] = it
	}
	return b.Type, items, nil
}

func (c *checker) batch(o *object) *Batch {
	if o == nil || !o.version() {
		return nil
	}
	b := &Batch{Version: 1}
	b.Type = o.enum("type", true, BatchTypes)
	items := o.array("items", true, 1, MaxBatchItems)
	if read := bodyReaders[b.Type]; read != nil {
		for _, it := range items {
			b.Items = append(b.Items, bytes.Clone(it.raw()))
			b.Records = append(b.Records, read(c, it.object(c)))
		}
	}
	o.done()
	return b
}

// PackBatches packs item bodies of record type typ, each already valid,
// into as few batch bodies as hold them in order, each at most maxBody
// bytes and [MaxBatchItems] items; maxBody 0 means [MaxBodySize]. Items
// are compacted (insignificant whitespace removed). It returns an error
// for a type not in [BatchTypes], a maxBody above MaxBodySize or too small
// for any item, an item that is not JSON, or one that does not fit in a
// batch on its own (wrapping [ErrTooLarge] and naming the item's index).
// No items give no batches.
func PackBatches(typ string, items [][]byte, maxBody int) ([][]byte, error) {
	if !slices.Contains(BatchTypes, typ) {
		return nil, fmt.Errorf("pack batches: type %q cannot be batched", truncate(typ, 40))
	}
	if maxBody == 0 {
		maxBody = MaxBodySize
	}
	head := `{"version":1,"type":` + strconv.Quote(typ) + `,"items":[`
	const tail = `]}`
	if maxBody > MaxBodySize || maxBody < len(head)+len(tail)+2 {
		return nil, fmt.Errorf("pack batches: limit of %d bytes outside %d..%d", maxBody, len(head)+len(tail)+2, MaxBodySize)
	}
	var out [][]byte
	var cur bytes.Buffer
	count := 0
	flush := func() {
		if count > 0 {
			cur.WriteString(tail)
			out = append(out, bytes.Clone(cur.Bytes()))
		}
		cur.Reset()
		count = 0
	}
	var item bytes.Buffer
	for i, raw := range items {
		item.Reset()
		if err := json.Compact(&item, raw); err != nil {
			return nil, fmt.Errorf("pack batches: item %d: not JSON: %v", i, err)
		}
		if len(head)+item.Len()+len(tail) > maxBody {
			return nil, fmt.Errorf("pack batches: item %d of %d bytes does not fit in a batch of %d bytes: %w", i, item.Len(), maxBody, ErrTooLarge)
		}
		if count > 0 && (cur.Len()+1+item.Len()+len(tail) > maxBody || count == MaxBatchItems) {
			flush()
		}
		if count == 0 {
			cur.WriteString(head)
		} else {
			cur.WriteByte(',')
		}
		cur.Write(item.Bytes())
		count++
	}
	flush()
	return out, nil
}

// TypeName returns [BatchType].
func (b *Batch) TypeName() string { return BatchType }

// Noun returns "batch".
func (b *Batch) Noun() string { return "batch" }

// Replaces returns nil: each item names what it replaces.
func (b *Batch) Replaces() *Supersedes { return nil }

// Parties returns the parties of all the items, sorted and without
// repeats; ok is false when an item's readers only the operator can name.
func (b *Batch) Parties() ([]string, bool) {
	var all []string
	for _, item := range b.Records {
		codes, ok := item.Parties()
		if !ok {
			return nil, false
		}
		all = append(all, codes...)
	}
	slices.Sort(all)
	return slices.Compact(all), true
}

// Filed returns the zero Date: each item has its own.
func (b *Batch) Filed() Date { return Date{} }

// Concerns returns the participants all the items name, sorted and
// without repeats.
func (b *Batch) Concerns() []string {
	var all []string
	for _, item := range b.Records {
		all = append(all, item.Concerns()...)
	}
	slices.Sort(all)
	return slices.Compact(all)
}

// ForEveryPartner reports false.
func (b *Batch) ForEveryPartner() bool { return false }

// Author returns none: [CheckAuthor] checks the items one by one.
func (b *Batch) Author() (AuthorClaim, bool) {
	return AuthorClaim{}, false
}
