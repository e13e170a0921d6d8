package protocol

// FootprintSampleType is the record type name of origin-characterisation
// samples.
const FootprintSampleType = "footprint_sample"

func init() {
	register(FootprintSampleType, "diamond footprint sample: an origin-characterisation sample with its laboratory results and images", (*checker).footprintSample)
}

// FootprintSample is the body of a "footprint_sample" record: a sample of
// rough diamonds of known origin characterised by a laboratory, for the
// experts' work on footprinting (docs/records.md §17). Its images travel
// as attachments; the author chooses the partners it shares it with.
type FootprintSample struct {
	Version     int            `json:"version"`   // 1
	SampleID    string         `json:"sample_id"` // the author's reference, as a notice's
	Collected   Date           `json:"collected"`
	Origin      string         `json:"origin"`  // country code
	Deposit     string         `json:"deposit"` // the deposit or area of origin
	Method      string         `json:"method"`  // see [FootprintMethods]
	Laboratory  string         `json:"laboratory"`
	Results     string         `json:"results"` // text
	Attachments []AttachedFile `json:"attachments,omitempty"`
	Supersedes  *Supersedes    `json:"supersedes,omitempty"`
}

// FootprintMethods are the values of FootprintSample.Method.
var FootprintMethods = []string{"morphology", "spectroscopy", "trace_elements", "isotopes", "imaging", "other"}

// ParseFootprintSample decodes and strictly validates a footprint sample
// body, reporting every problem in a *[ValidationError]. On error the
// sample is nil.
func ParseFootprintSample(body []byte) (*FootprintSample, error) {
	return parseBody(FootprintSampleType, body, (*checker).footprintSample)
}

func (c *checker) footprintSample(o *object) *FootprintSample {
	if o == nil || !o.version() {
		return nil
	}
	f := &FootprintSample{Version: 1}
	f.SampleID = o.pattern("sample_id", true, 64, `a reference such as "IN-FP-2026-0003"`, isReference)
	f.Collected = o.date("collected", true)
	f.Origin = o.country("origin", true)
	f.Deposit = o.str("deposit", true, 200)
	f.Method = o.enum("method", true, FootprintMethods)
	f.Laboratory = o.str("laboratory", true, 200)
	f.Results = o.text("results", true, 10000)
	f.Attachments = o.attachments()
	f.Supersedes = o.supersedes()
	o.done()
	return f
}

// TypeName returns [FootprintSampleType].
func (f *FootprintSample) TypeName() string { return FootprintSampleType }

// Noun returns "footprint sample".
func (f *FootprintSample) Noun() string { return "footprint sample" }

// Replaces returns the sample record this one corrects, or nil.
func (f *FootprintSample) Replaces() *Supersedes { return f.Supersedes }

// Parties reports that only the operator names a sample's readers.
func (f *FootprintSample) Parties() ([]string, bool) { return operatorNamed() }

// Filed returns the collection date.
func (f *FootprintSample) Filed() Date { return f.Collected }

// Concerns returns nothing: a sample names a country, not a participant.
func (f *FootprintSample) Concerns() []string { return nil }

// ForEveryPartner reports false: samples go to chosen partners.
func (f *FootprintSample) ForEveryPartner() bool { return false }

// Author returns none.
func (f *FootprintSample) Author() (AuthorClaim, bool) { return AuthorClaim{}, false }

// Files returns the sample's images and reports.
func (f *FootprintSample) Files() []AttachedFile { return f.Attachments }
