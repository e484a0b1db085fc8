// Package pages serves the server-rendered pages for coaches and
// supervisors, in Dutch, from the API process: sign-in and sign-out,
// "Mijn gezinnen", a trajectory with the forms for the steps allowed now,
// and the supervisor's team overview. They are a thin adapter over
// package usecase, as the JSON API is: the same rule of who may see a
// trajectory, the same Updates under idempotency keys, the same audit log.
// Every page needs a browser session (package session); every form post
// carries the session's CSRF secret and must come from this origin.
package pages

import (
	"bytes"
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/elkgezin/elkgezin/familylink"
	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/ratelimit"
	"github.com/elkgezin/elkgezin/session"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/usecase"

	"github.com/gorilla/mux"
)

//go:embed templates/*.tmpl
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// TokenStore checks the token a person signs in with.
type TokenStore interface {
	AuthenticateToken(ctx context.Context, token string) (store.TokenInfo, error)
}

// Config is what the pages need; all fields but TemporalUI, Limiter and Logger are required.
type Config struct {
	Cases    usecase.Cases
	Sessions *session.Manager
	Tokens   TokenStore
	Services programme.Services
	// TemporalUI is the Temporal UI's base URL and Namespace its
	// namespace, for the supervisor's link to a trajectory's workflow.
	TemporalUI string
	Namespace  string
	// Limiter bounds requests per client address and session, and failed
	// sign-ins: the one the API shares (package ratelimit). Nil: one of its
	// own with the default limits.
	Limiter *ratelimit.Limiter
	Logger  *slog.Logger
	// RouteMiddleware, when set, runs after a route matched: the command
	// gives it telemetry.RouteMiddleware, which names the request by the
	// route's template.
	RouteMiddleware mux.MiddlewareFunc
	// Referrals start the trajectory of a consultation turned into a
	// referral, as the API's do; nil: the pages offer no such form.
	Referrals *usecase.Referrals
	// Figures feed the team page's charts of referrals per month; nil
	// leaves those out (the chart per coach stays).
	Figures FigureStore
	// FamilyLinks issues and revokes families' links to their own page;
	// nil: the pages offer no such form.
	FamilyLinks *familylink.Issuer
}

type handler struct {
	Config
	pages map[string]*template.Template
}

var funcs = template.FuncMap{
	"phase":  phaseLabel,
	"step":   func(string, ...string) string { return "" }, // per handler: stepLabel
	"event":  eventLabel,
	"reason": closeReasonLabel,
	"when":   when,
	"at":     func(t time.Time) string { return when(&t) },
	"share":  shareLabel,
	"dict":   func(f *form, csrf, id string) visitForm { return visitForm{Form: f, CSRF: csrf, ID: id} },
	"inc":    func(i int) int { return i + 1 },
	// nth is the i-th value typed in a repeated field, "" when there is none.
	"nth": func(vs []string, i int) string {
		if i < len(vs) {
			return vs[i]
		}
		return ""
	},
}

// visitForm feeds the shared fields of the intake and visit forms.
type visitForm struct {
	Form     *form
	CSRF, ID string
}

// New builds the pages' handler. Mount it at / beside the API's routes.
func New(cfg Config) http.Handler {
	if cfg.Sessions == nil || cfg.Tokens == nil || cfg.Cases.Store == nil || cfg.Cases.Audit == nil {
		panic("pages.New: Sessions, Tokens, Cases.Store and Cases.Audit are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Limiter == nil {
		cfg.Limiter = ratelimit.New(ratelimit.Config{SessionCookie: cfg.Sessions.CookieName()})
	}
	h := &handler{Config: cfg, pages: map[string]*template.Template{}}
	for _, name := range []string{"signin", "gezinnen", "team", "trajectory", "message"} {
		h.pages[name] = template.Must(template.New("layout.tmpl").Funcs(funcs).Funcs(template.FuncMap{"step": h.stepLabel}).
			ParseFS(templateFiles, "templates/layout.tmpl", "templates/"+name+".tmpl", "templates/part_*.tmpl"))
	}
	return headers(h.limit(serviceWorker(h.routes())))
}

// routes are the pages' routes. A GET route answers HEAD too.
func (h *handler) routes() *mux.Router {
	r := newRouter(h.RouteMiddleware)
	static, _ := fs.Sub(staticFiles, "static")
	r.PathPrefix("/static/").Methods(http.MethodGet, http.MethodHead).Handler(http.StripPrefix("/static/", http.FileServerFS(static)))
	get(r, "/aanmelden", h.signInPage)
	post(r, "/aanmelden", h.signIn)
	post(r, "/afmelden", h.signOut)
	get(r, "/", h.withSession(h.home))
	get(r, "/gezinnen", h.withSession(h.families))
	get(r, "/team", h.withSession(h.team))
	get(r, "/trajecten/{id}", h.withSession(h.trajectory))
	post(r, "/trajecten/{id}/{step}", h.withSession(h.postStep))
	h.routeMore(r)
	h.routeFamilyLink(r)
	return r
}

// headers sets what every page answers with: no caching of family data,
// no framing, scripts and styles from this origin only.
func headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Cache-Control", "no-store")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		next.ServeHTTP(w, r)
	})
}

type sessionKey struct{}

func current(r *http.Request) session.Session {
	s, _ := r.Context().Value(sessionKey{}).(session.Session)
	return s
}

// withSession lets only a signed-in coach or supervisor through; anyone
// else goes to the sign-in page.
func (h *handler) withSession(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, err := h.Sessions.Lookup(r)
		switch {
		case errors.Is(err, session.ErrNoSession):
			http.Redirect(w, r, "/aanmelden?terug="+url.QueryEscape(r.URL.Path), http.StatusSeeOther)
			return
		case err != nil:
			h.unavailable(w, r, err)
			return
		}
		if !mayUsePages(s.Principal.Kind) {
			h.message(w, r, http.StatusForbidden, "Geen toegang", "Deze pagina's zijn voor gezinscoaches, hun medewerkers en teamverantwoordelijken.")
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), sessionKey{}, s)))
	}
}

func (h *handler) home(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, homeOf(current(r).Principal.Kind), http.StatusSeeOther)
}

// mayUsePages says whether a kind of principal signs in on the pages:
// coaches, co-workers and supervisors (partners and administrators use the
// API and the command line).
func mayUsePages(kind string) bool {
	return kind == usecase.KindCoach || kind == usecase.KindCoWorker || kind == usecase.KindSupervisor
}

// homeOf is the first page of a kind of user: a supervisor's team, a
// coach's or co-worker's families.
func homeOf(kind string) string {
	if kind == usecase.KindSupervisor {
		return "/team"
	}
	return "/gezinnen"
}

// page is what every template gets.
type page struct {
	Title     string
	Principal usecase.Principal
	CSRF      string
	Data      any
	Names     names
	// Outcome is the step just taken or refused, said first on the page.
	Outcome *outcome
}

// outcome is what became of the step a form sent: the page's first
// element, focused, and the start of its title.
type outcome struct {
	Refused bool
	Text    string
	// Form is the id of the refused form, to go to.
	Form string
}

func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	h.renderOutcome(w, r, status, name, title, data, nil)
}

func (h *handler) renderOutcome(w http.ResponseWriter, r *http.Request, status int, name, title string, data any, o *outcome) {
	s := current(r)
	if o != nil {
		if o.Refused {
			title = "Geweigerd: " + title
		} else {
			title = "Opgeslagen: " + title
		}
	}
	var buf bytes.Buffer
	if err := h.pages[name].Execute(&buf, page{Title: title, Principal: s.Principal, CSRF: s.CSRF, Data: data, Names: h.names(), Outcome: o}); err != nil {
		h.Logger.Error("pages: render", "page", name, "error", err)
		http.Error(w, "De pagina kon niet worden opgebouwd; probeer het later opnieuw.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (h *handler) message(w http.ResponseWriter, r *http.Request, status int, title, text string) {
	h.render(w, r, status, "message", title, text)
}

func (h *handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.message(w, r, http.StatusNotFound, "Niet gevonden", "Er is geen traject met dit nummer dat u mag zien.")
}

func (h *handler) unavailable(w http.ResponseWriter, r *http.Request, err error) {
	h.Logger.Error("pages: a dependency did not answer", "route", routeTemplate(r), "error", err)
	h.message(w, r, http.StatusServiceUnavailable, "Even geduld", "De gegevens zijn nu niet bereikbaar. Probeer het over een minuut opnieuw; wat u invulde, is niet verloren als u teruggaat.")
}

// audit writes the audit entry of a page request: the same actions as the API's.
func (h *handler) audit(r *http.Request, action, trajectoryID, outcome string, detail map[string]string) error {
	if detail == nil {
		detail = map[string]string{}
	}
	detail["via"] = "pages"
	p := current(r).Principal
	if p.CredentialID != "" {
		detail["token_id"] = p.CredentialID
	}
	actor := p.Actor()
	if p.Kind == "" {
		actor = usecase.KindAnonymous
	}
	return h.Cases.Audit.Audit(r.Context(), store.AuditEntry{Actor: actor, Action: action, TrajectoryID: trajectoryID, Outcome: outcome, Detail: detail})
}

// newKey is the idempotency key a form carries from when it was shown, so
// that a double submit is one step.
func newKey() string { return "form-" + strings.ToLower(rand.Text()) }

// postedForm reads a step's form, at most 64 KiB, and checks that it came
// from this site for this session (CSRF); if not, it audits the denial of
// action (with detail), answers 403 in Dutch and reports false.
func (h *handler) postedForm(w http.ResponseWriter, r *http.Request, action, trajectoryID string, detail map[string]string) bool {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if r.ParseForm() == nil && current(r).CheckCSRF(r, r.PostForm.Get("csrf")) {
		return true
	}
	d := map[string]string{"reason": "csrf"}
	for k, v := range detail {
		d[k] = v
	}
	_ = h.audit(r, action, trajectoryID, store.OutcomeDenied, d)
	h.message(w, r, http.StatusForbidden, "Geweigerd", "Dit formulier kwam niet van deze website, of de pagina is te oud. Open de pagina opnieuw en probeer nog eens.")
	return false
}
