package api

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/kpnode/kpnode/crypto"
	"github.com/kpnode/kpnode/node"
	"github.com/kpnode/kpnode/protocol"
	"github.com/kpnode/kpnode/reconcile"
	"github.com/kpnode/kpnode/staff"
	"github.com/kpnode/kpnode/store"
)

// Backend is what the API serves: a running node.
type Backend interface {
	Status() (node.Status, error)
	Card() (*protocol.SignedCard, error)
	Partners() ([]node.Partner, error)
	AddPartner(card []byte) (node.Partner, error)
	RemovePartner(code string) error
	SetPartnerAddrs(code string, addrs []string) (node.Partner, error)
	PublishRecord(ctx context.Context, req node.PublishRequest) (node.Published, error)
	Feed(author string, from uint64, limit int) ([]node.FeedEntry, error)
	Verify(ctx context.Context) (store.VerifyReport, error)
	Import(ctx context.Context, typ string, items [][]byte, to []string, dryRun bool) (node.ImportResult, error)
	Export(typ string, f node.ExportFilter) ([][]byte, error)
	KPStatistics(q protocol.Quarter) (node.KPStatisticsTable, error)
	FindingCounts() []reconcile.FindingCount
	FindingsPage(q node.FindingsQuery) (node.FindingsPage, error)
	FindingsSummary(q node.FindingsQuery) node.FindingsSummary
	FindingView(id string) (node.FindingView, error)
	AcknowledgeFinding(id, note string) (node.FindingView, error)
	AcknowledgeNotice(ctx context.Context, feed string, seq uint64, remarks string) (node.Published, error)
	PausePartner(code string, paused bool) (node.Partner, error)
	DeliveryHistory() node.DeliveryHistory
	UnitValueReference() []node.UnitValueRange
	Valuation() node.ValuationTable
	ImportValuation(req node.ValuationImport) (node.ValuationResult, error)
	ResetValuation(by string) (node.ValuationResult, error)
	ExplainFinding(id string) (reconcile.Finding, string, error)
	Calendar() reconcile.Calendar
	Questionnaires() (reconcile.Questionnaires, error)
	AskAboutFinding(ctx context.Context, id string) (node.Published, error)
	AcceptAnswer(ctx context.Context, id string) (reconcile.QueryStatus, error)
	Events(after uint64) ([]node.Event, bool, <-chan struct{})
	StoreSize() (int64, error)
	Records(q node.RecordsQuery) ([]node.RecordView, string, error)
	Inbox(q node.InboxQuery) (node.Inbox, error)
	Record(feed string, seq uint64) (node.RecordView, error)
	ImportRecords(ctx context.Context, req node.ImportRequest) (node.ImportResult, error)
	NewImportProgress(id, file string) *node.ImportProgress
	AuditExport(a node.ExportAudit) error
	Evidence(req node.EvidenceRequest) (*protocol.EvidenceBundle, error)
	AuditLog(limit int) ([]store.AuditRecord, error)
	VerifyAudit(ctx context.Context) (store.AuditReport, error)
	Backup(ctx context.Context, w io.Writer, file string) (store.BackupInfo, error)
	RotateKeys(ctx context.Context, reason string, wait time.Duration) (node.RotateResult, error)
	RepinPartner(code string, card []byte, validThrough uint64) (node.RepinResult, error)
	ForceRecovered(note string) (node.RecoveryStatus, error)
	AuditSession(action string, s node.SessionAudit) error
	AuditTokenRotation(actor string) error
	As(actor string) *node.Acting

	// The participant list as data (participants.go).
	Participants(at protocol.Date) node.ParticipantList
	ApplyParticipantUpdates(req node.ParticipantUpdatesApply) (node.ParticipantUpdatesResult, error)
	TrustForParticipants(code string, trusted bool, by string) error
}

// MaxBodyBytes caps every request body.
const MaxBodyBytes = 8 << 20

// Handler is the API's HTTP handler.
type Handler struct {
	b        Backend
	token    *nodeToken       // the node's own token
	staff    *staff.Directory // staff accounts and tokens; nil: the node's token only
	throttle *signinThrottle  // failed password sign-ins
	log      *slog.Logger
	mux      *http.ServeMux
	met      *metrics
	hosts    *hostGuard
	sessions *sessions
	codes    *signinCodes
	streams  chan struct{} // one slot per open event stream
	spools   chan struct{} // one slot per attachment spooled to a temporary file
	// patterns lists the patterns registered, for the OpenAPI check.
	patterns []string
	// roles holds the role each authenticated pattern needs.
	roles map[string]staff.Role
}

// DefaultMaxEventStreams bounds the event streams open at once: each holds
// a connection for as long as its client wants, so they get their own cap
// below the connection cap (ServerConfig.MaxConns).
const DefaultMaxEventStreams = 16

// Option configures a Handler.
type Option func(*Handler) error

// WithListenAddr makes the handler answer only to the loopback names and
// the configured API host, on the port actually bound (bound, e.g. the
// listener's address). Without it the loopback names are accepted on any
// port.
func WithListenAddr(configured, bound string) Option {
	return func(h *Handler) error {
		g, err := newHostGuard(configured, bound)
		h.hosts = g
		return err
	}
}

// WithMaxEventStreams sets how many event streams may be open at once
// (default DefaultMaxEventStreams); one more gets 503.
func WithMaxEventStreams(n int) Option {
	return func(h *Handler) error {
		if n < 1 {
			return fmt.Errorf("max event streams %d: want at least 1", n)
		}
		h.streams = make(chan struct{}, n)
		return nil
	}
}

// WithStaff lets the staff accounts and tokens of d sign in and call the
// API, each within its role.
func WithStaff(d *staff.Directory) Option {
	return func(h *Handler) error {
		h.staff = d
		return nil
	}
}

// WithTokenFile makes the node's own token the one in the file at path
// (api.token in the home), read again whenever the file changes, in place
// of the token given to NewHandler; POST /api/token/rotate rewrites it.
func WithTokenFile(path string) Option {
	return func(h *Handler) error {
		t, err := tokenFile(path)
		if err != nil {
			return fmt.Errorf("node token: %w", err)
		}
		h.token = t
		return nil
	}
}

// NewHandler returns the API handler for b, requiring token (or a staff
// token, or a dashboard session) on /api/.
func NewHandler(b Backend, token crypto.Secret, log *slog.Logger, opts ...Option) (*Handler, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{b: b, token: fixedToken(token), log: log, mux: http.NewServeMux(), met: newMetrics(b),
		sessions: newSessions(time.Now), codes: newSigninCodes(time.Now), throttle: newSigninThrottle(time.Now),
		roles:   map[string]staff.Role{},
		streams: make(chan struct{}, DefaultMaxEventStreams), spools: make(chan struct{}, maxAttachmentSpools)}
	h.hosts, _ = newHostGuard("", "")
	for _, o := range opts {
		if err := o(h); err != nil {
			return nil, err
		}
	}
	h.routes()
	return h, nil
}

// The roles of the route table, short so that the table reads as one.
const (
	view  = staff.Viewer
	clerk = staff.Clerk
	admin = staff.Administrator
)

// routes is the route table: every authenticated route names the one
// role it needs (docs/security.md, "Roles").
func (h *Handler) routes() {
	h.mux.HandleFunc("GET /healthz", h.healthz)
	h.patterns = append(h.patterns, "GET /healthz")
	h.mux.HandleFunc("GET /readyz", h.readyz)
	h.patterns = append(h.patterns, "GET /readyz")
	h.handle("GET /metrics", view, h.metrics)
	h.handle("GET /api/status", view, h.status)
	h.handle("GET /api/card", view, h.card)
	h.handle("GET /api/partners", view, h.listPartners)
	h.handle("POST /api/partners", admin, h.addPartner)
	h.handle("DELETE /api/partners/{code}", admin, h.removePartner)
	h.handle("PUT /api/partners/{code}/addrs", admin, h.setPartnerAddrs)
	h.handle("POST /api/partners/{code}/pause", admin, h.pausePartner(true))
	h.handle("POST /api/partners/{code}/resume", admin, h.pausePartner(false))
	h.handle("POST /api/partners/{code}/repin", admin, h.repinPartner)
	h.handle("POST /api/keys/rotate", admin, h.rotateKeys)
	h.handle("POST /api/recovery/force", admin, h.forceRecovered)
	h.handle("GET /api/delivery/history", view, h.deliveryHistory)
	h.handle("POST /api/records/{type}", clerk, h.publish)
	h.handle("GET /api/records", view, h.listRecords)
	h.handle("GET /api/records/{feed}/{seq}", view, h.getRecord)
	h.handle("GET /api/inbox", view, h.inbox)
	h.handle("POST /api/records/{type}/check", view, h.checkRecord)
	h.handle("GET /api/participants", view, h.listParticipants)
	h.handle("GET /api/feeds", view, h.feeds)
	h.handle("GET /api/feeds/{author}/entries", view, h.feedEntries)
	h.handle("POST /api/verify", view, h.verify)
	h.handle("GET /api/evidence/{feed}/{seq}", view, h.evidence)
	h.handle("GET /api/audit", view, h.auditLog)
	h.handle("POST /api/audit/verify", view, h.verifyAudit)
	h.handle("POST /api/backup", admin, h.backup)
	h.handleLimit("POST /api/imports/{kind}", clerk, MaxImportBytes+maxImportFilesPart, h.importFile)
	h.handle("GET /api/exports/{kind}", view, h.exportFile)
	h.handle("GET /api/statistics/{period}", view, h.kpStatistics)
	h.handle("GET /api/events", view, h.events)
	h.handle("GET /api/findings", view, h.listFindings)
	h.handle("GET /api/findings/summary", view, h.summarizeFindings)
	h.handle("GET /api/findings/{id...}", view, h.explainFinding)
	h.handle("POST /api/findings/ack", clerk, h.ackFinding)
	h.handle("POST /api/notices/{feed}/{seq}/ack", clerk, h.ackNotice)
	h.handle("GET /api/calendar", view, h.calendar)
	h.handle("GET /api/questionnaires", view, h.questionnaires)
	h.handle("POST /api/findings/ask", clerk, h.askAboutFinding)
	h.handle("POST /api/questionnaires/accept", clerk, h.acceptAnswer)
	h.handle("GET /api/reference/unit-values", view, h.unitValues)
	h.handle("GET /api/valuation", view, h.valuation)
	h.handleLimit("POST /api/valuation", clerk, node.MaxValuationBytes, h.importValuation)
	h.handle("DELETE /api/valuation", clerk, h.resetValuation)
	h.handle("GET /api/membership", view, h.membership)
	h.handleLimit("POST /api/membership/updates", admin, node.MaxParticipantUpdatesBytes, h.applyParticipantUpdates)
	h.handle("PUT /api/membership/trusted/{code}", admin, h.trustForParticipants(true))
	h.handle("DELETE /api/membership/trusted/{code}", admin, h.trustForParticipants(false))
	// attachments (issue 18)
	h.handleLimit("POST /api/attachments", clerk, protocol.MaxAttachmentSize, h.addAttachment)
	h.handle("GET /api/records/{feed}/{seq}/attachments/{name}", view, h.getAttachment)
	h.handle("GET /api/records/{feed}/{seq}/attachments", view, h.attachmentStates)
	h.staffRoutes()
	h.dashboardRoutes()
	h.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		if _, err := h.authenticate(r, view, tokenOrSession); err != nil {
			h.fail(w, r, err)
			return
		}
		writeError(w, &Error{Status: http.StatusNotFound, Code: "not_found", Message: "no such route: " + r.Method + " " + r.URL.Path})
	})
}

// handle registers an authenticated route that needs role, whose bodies
// are capped at MaxBodyBytes.
func (h *Handler) handle(pattern string, role staff.Role, fn func(http.ResponseWriter, *http.Request) error) {
	h.handleAccess(pattern, role, MaxBodyBytes, tokenOrSession, fn)
}

// handleLimit registers an authenticated route that needs role, whose
// bodies are capped at limit bytes.
func (h *Handler) handleLimit(pattern string, role staff.Role, limit int64, fn func(http.ResponseWriter, *http.Request) error) {
	h.handleAccess(pattern, role, limit, tokenOrSession, fn)
}

// handleAccess registers a route open to acc callers with role, whose
// bodies are capped at limit bytes.
func (h *Handler) handleAccess(pattern string, role staff.Role, limit int64, acc access, fn func(http.ResponseWriter, *http.Request) error) {
	if !role.Valid() {
		panic("api route " + pattern + " names no role") // the route table is code: TestEveryRouteHasOneRole catches this
	}
	if _, dup := h.roles[pattern]; dup {
		panic("api route " + pattern + " registered twice")
	}
	h.roles[pattern] = role
	h.patterns = append(h.patterns, pattern)
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		ar, err := h.authenticate(r, role, acc)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		r = ar
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		sw := &statusWriter{ResponseWriter: w}
		start := time.Now()
		if err := fn(sw, r); err != nil {
			h.fail(sw, r, err)
		}
		h.met.observe(pattern, sw.answered(), time.Since(start))
		h.log.Debug("api request", "method", r.Method, "path", r.URL.Path, "took", time.Since(start))
	})
}

// ServeHTTP implements http.Handler. Requests for a host name that is not
// the node's are refused before any route sees them.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.hosts.allowed(r.Host) {
		h.log.Debug("api request for a foreign host refused", "host", r.Host, "remote", r.RemoteAddr)
		writeError(w, foreignHost(r.Host))
		return
	}
	h.mux.ServeHTTP(w, r)
}
