// Package api is elkgezin's HTTP API (JSON over HTTP, described by
// openapi.yaml next to this file). Partners refer families to a programme;
// supervisors assign a coach; coaches record the steps of their own
// trajectories (intake, home visits, a birth, handovers to regular
// services, closure); supervisors list and read the trajectories of their
// programmes, extend perinatal follow-up and close. A regular service
// acknowledges a handover through the signed link in its email, without
// logging in; a family opens its own page (package familylink) through its
// personal link, and asks there for another date.
//
// Every other route needs a bearer token (Authenticator, TokenAuthenticator)
// and is allowed to the kinds of caller that routeRules names; a trajectory
// the caller may not see answers 404 exactly like one that does not exist.
// Every read of personal data, every action and every refused attempt goes
// to the append-only audit log (Auditor), with who, what and when.
//
// A referral starts one Temporal workflow per trajectory, and each step is
// a Temporal Update of that workflow, whose validators have the last word on
// the order of steps. Reads come from PostgreSQL (package store), which the
// workflow keeps up to date.
//
// The data is about families in hardship: request and response bodies,
// query values and link tokens (handover, family) are never logged (a
// request's log line names its route template), and every response says
// Cache-Control: no-store.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"go.temporal.io/sdk/client"

	"github.com/elkgezin/elkgezin/familylink"
	"github.com/elkgezin/elkgezin/handoverlink"
	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/ratelimit"
	"github.com/elkgezin/elkgezin/session"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/trajectory"
	"github.com/elkgezin/elkgezin/usecase"
)

// Store is the part of *store.Store the API uses.
type Store interface {
	// Ping checks that PostgreSQL answers.
	Ping(ctx context.Context) error
	// ListReferral writes a referral's referred event unless it is there.
	ListReferral(ctx context.Context, e trajectory.Event) error
	// ReferredTrajectory reads what a referral sent again is answered
	// with; an error wrapping store.ErrNotFound if elkgezin never recorded it.
	ReferredTrajectory(ctx context.Context, id string) (store.Referred, error)
	// RecordEvents writes a step's events; a second write changes nothing.
	RecordEvents(ctx context.Context, events []trajectory.Event) (refused []error, err error)
	// Trajectory reads one trajectory; an error wrapping store.ErrNotFound if unknown.
	Trajectory(ctx context.Context, id string) (store.Trajectory, error)
	// TrajectoryAccess reads only what access depends on, before Trajectory.
	TrajectoryAccess(ctx context.Context, id string) (store.TrajectorySummary, error)
	// ListTrajectories lists a page; an error wrapping store.ErrBadCursor for a bad cursor.
	ListTrajectories(ctx context.Context, f store.Filter) (store.Page, error)
}

var _ Store = (*store.Store)(nil)

// DefaultTimeout bounds a request when Config.Timeout is zero.
const DefaultTimeout = 15 * time.Second

// Config is what the API needs. Every field but Codec, Logger and Timeout is required.
type Config struct {
	Programmes programme.Catalogue
	// Services is the directory of regular services a family may be handed over to.
	Services programme.Services
	Temporal client.Client
	Store    Store
	// Auth tells who calls: TokenAuthenticator{Store: st}.
	Auth Authenticator
	// Audit receives the audit log: the *store.Store.
	Audit Auditor
	// Codec, when set, is mounted at /codec/ without the API's
	// authentication: it must authorize each request itself (e.g.
	// payloadcodec.NewHandler with SupervisorAuthorizer(Auth)). Its encode
	// and decode requests are audited.
	Codec http.Handler
	// Sessions keeps the browser sessions (POST and DELETE /v1/session,
	// and the codec's SupervisorAuthorizer).
	Sessions *session.Manager
	// IDKey keys trajectory ids (TRAJECTORY_ID_SECRET), so that an id
	// reveals nothing of the referrer's reference.
	IDKey trajectory.IDKey
	// Links verifies the acknowledgement links of handover emails; it must
	// hold the secret the worker signs them with.
	Links *handoverlink.Signer
	// DataKeys, when set, makes each new trajectory's data key before its
	// workflow starts, so its first payload is encrypted under it: the
	// *keys.Vault of the store.
	DataKeys usecase.DataKeyMaker
	// Eraser, when set, erases trajectories (POST .../erasure): a
	// retention.Eraser; without it that route answers 503.
	Eraser Eraser
	// Logger receives one line per request and the errors; nil means slog.Default().
	Logger *slog.Logger
	// Limiter bounds requests per client address, token and session: the
	// one the pages share (package ratelimit). Nil: one of its own with the
	// default limits.
	Limiter *ratelimit.Limiter
	// DenialWindow is how long refused unauthenticated requests of one
	// client address are counted into one audit entry (DefaultDenialWindow when zero).
	DenialWindow time.Duration
	// RouteMiddleware, when set, runs once a route matched, so it can name
	// the request by its route template (telemetry.RouteMiddleware).
	RouteMiddleware mux.MiddlewareFunc
	// Timeout bounds every request (DefaultTimeout when zero): a request
	// that is not done by then is answered 503 and its work is cancelled.
	Timeout time.Duration
	// FamilyLinks and FamilySigner keep and seal the links to families'
	// own pages (package familylink); without them the family link routes
	// answer 503 and the family page says the link does not work.
	FamilyLinks  familylink.Store
	FamilySigner *familylink.Signer
	// FamilyMail sends a family its link by email; nil: links are handed
	// over another way (the answer says the email did not go).
	FamilyMail familylink.Notifier
	// PublicBaseURL starts the family links the API hands out (PUBLIC_BASE_URL).
	PublicBaseURL string
	// FamilyRequestRate bounds the requests for another date per family
	// link (ratelimit.DefaultRequestRate when zero).
	FamilyRequestRate ratelimit.Rate
	// SMSReports records the SMS gateway's delivery reports; nil: that
	// route answers 503.
	SMSReports SMSReportStore
	// FamilySMS texts a family its link; nil: no SMS.
	FamilySMS *familylink.Texter
}

type server struct {
	programmes programme.Catalogue
	services   programme.Services
	links      *handoverlink.Signer
	idKey      trajectory.IDKey
	temporal   client.Client
	store      Store
	auth       Authenticator
	audit      Auditor
	eraser     Eraser
	log        *slog.Logger
	timeout    time.Duration
	router     *mux.Router
	sessions   *session.Manager
	// cases are the rules the pages share (package usecase).
	cases usecase.Cases
	// referrals start trajectories, as the pages do.
	referrals usecase.Referrals
	limiter   *ratelimit.Limiter
	denials   *denials
	ready     readiness // the last check of /readyz
	// The family's own page.
	familyLinks    familylink.Store
	familySigner   *familylink.Signer
	familyMail     familylink.Notifier
	familyRequests *ratelimit.Keyed
	publicBaseURL  string
	smsReports     SMSReportStore
	familySMS      *familylink.Texter
}

// Paths of the API, as route templates.
const (
	pathHealthz      = "/healthz"
	pathReadyz       = "/readyz"
	pathReferrals    = "/v1/referrals"
	pathTrajectories = "/v1/trajectories"
	pathTrajectory   = "/v1/trajectories/{id}"
	pathAssignment   = "/v1/trajectories/{id}/assignment"
	pathIntake       = "/v1/trajectories/{id}/intake"
	pathVisits       = "/v1/trajectories/{id}/visits"
	pathVisitMove    = "/v1/trajectories/{id}/visits/move"
	pathVisitMissed  = "/v1/trajectories/{id}/visits/missed"
	pathClosure      = "/v1/trajectories/{id}/closure"
	pathBirth        = "/v1/trajectories/{id}/birth"
	pathExtension    = "/v1/trajectories/{id}/follow-up-extension"
	pathHandovers    = "/v1/trajectories/{id}/handovers"
	pathResend       = "/v1/trajectories/{id}/handovers/{number}/resend"
	pathTimings      = "/v1/trajectories/{id}/programme-timings"
	// Milestones, co-workers, consultations, collective activities and reports
	// (api/milestones.go, consultations.go, activities_collective.go, reports.go).
	pathMilestone          = "/v1/trajectories/{id}/milestones/{milestone}"
	pathCoWorkers          = "/v1/trajectories/{id}/co-workers"
	pathConsultations      = "/v1/consultations"
	pathConsultation       = "/v1/consultations/{consultation}"
	pathConsultationRefer  = "/v1/consultations/{consultation}/referral"
	pathConsultationOrg    = "/v1/consultations/{consultation}/organisation"
	pathCollectiveActivity = "/v1/programmes/{programme}/activities"
	pathActivity           = "/v1/programmes/{programme}/activities/{activity}"
	pathProgrammeReport    = "/v1/reports/programmes/{programme}"
	pathSession            = "/v1/session"
	pathErasure            = "/v1/trajectories/{id}/erasure"
	pathExport             = "/v1/trajectories/{id}/export"
	// The family plan (api/plan.go).
	pathPlan        = "/v1/trajectories/{id}/plan"
	pathGoalStatus  = "/v1/trajectories/{id}/plan/goals/{goal}/status"
	pathActionDone  = "/v1/trajectories/{id}/plan/goals/{goal}/actions/{action}/done"
	pathReviewGoals = "/v1/trajectories/{id}/plan/review"
	// The handover link routes: the token is the credential, so they need
	// no authentication, and the log names them by these templates only.
	pathHandoverLink = "/v1/handovers/{token}"
	pathHandoverAck  = "/v1/handovers/{token}/acknowledgement"
)

// NewHandler builds the API's handler. It panics when a required part of
// cfg is missing, which is a mistake in the program that wires it.
func NewHandler(cfg Config) http.Handler {
	s := newServer(cfg)
	return s.logRequests(s.limitRate(s.limitTime(s.recoverPanics(s.router))))
}

func newServer(cfg Config) *server {
	mustBeComplete(cfg)
	s := &server{
		programmes: cfg.Programmes,
		services:   cfg.Services,
		links:      cfg.Links,
		idKey:      cfg.IDKey,
		temporal:   cfg.Temporal,
		store:      cfg.Store,
		auth:       cfg.Auth,
		audit:      cfg.Audit,
		eraser:     cfg.Eraser,
		log:        cfg.Logger,
		timeout:    cfg.Timeout,
		sessions:   cfg.Sessions,

		familyLinks:    cfg.FamilyLinks,
		smsReports:     cfg.SMSReports,
		familySMS:      cfg.FamilySMS,
		familySigner:   cfg.FamilySigner,
		familyMail:     cfg.FamilyMail,
		familyRequests: newFamilyRequests(cfg),
		publicBaseURL:  strings.TrimSuffix(cfg.PublicBaseURL, "/"),
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.cases = usecase.Cases{Programmes: cfg.Programmes, Temporal: cfg.Temporal, Store: cfg.Store, Audit: cfg.Audit, Logger: s.log}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	s.referrals = usecase.Referrals{Cases: s.cases, IDKey: cfg.IDKey, Store: cfg.Store, DataKeys: cfg.DataKeys, ListTimeout: s.timeout / 4}
	s.denials = newDenials(cfg.DenialWindow, s.audit, s.log)
	s.limiter = newLimiter(cfg)

	s.router = s.routes(cfg)
	return s
}

// mustBeComplete panics when a required part of cfg is missing.
func mustBeComplete(cfg Config) {
	switch {
	case cfg.Programmes == nil:
		panic("api.NewHandler: Config.Programmes is required")
	case cfg.Temporal == nil:
		panic("api.NewHandler: Config.Temporal is required")
	case cfg.Store == nil:
		panic("api.NewHandler: Config.Store is required")
	case cfg.Auth == nil:
		panic("api.NewHandler: Config.Auth is required (TokenAuthenticator{Store: st})")
	case cfg.Audit == nil:
		panic("api.NewHandler: Config.Audit is required (the store, which keeps the audit log)")
	case cfg.Services == nil:
		panic("api.NewHandler: Config.Services is required (the directory of regular services)")
	case cfg.Sessions == nil:
		panic("api.NewHandler: Config.Sessions is required (the browser sessions)")
	case cfg.IDKey.IsZero():
		panic("api.NewHandler: Config.IDKey is required (TRAJECTORY_ID_SECRET)")
	case cfg.Links == nil:
		panic("api.NewHandler: Config.Links is required (the signer of handover links)")
	}
}

func (s *server) notFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, r, CodeNotFound,
		"there is no such path in this API; see openapi.yaml for the paths (they start with /v1/)")
}

// methodNotAllowed answers 405 with an Allow header listing the methods the path has.
func (s *server) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions} {
		probe := r.Clone(r.Context())
		probe.Method = m
		var match mux.RouteMatch
		if s.router.Match(probe, &match) && match.MatchErr == nil {
			allowed = append(allowed, m)
		}
	}
	detail := "this path does not accept " + r.Method
	if len(allowed) > 0 {
		w.Header().Set("Allow", joinComma(allowed))
		detail += "; use " + joinOr(allowed)
	}
	writeError(w, r, CodeMethodNotAllowed, detail)
}
