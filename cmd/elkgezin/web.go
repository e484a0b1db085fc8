package main

import (
	"log/slog"
	"net/http"

	"go.temporal.io/sdk/client"

	"github.com/elkgezin/elkgezin/api"
	"github.com/elkgezin/elkgezin/config"
	"github.com/elkgezin/elkgezin/familylink"
	"github.com/elkgezin/elkgezin/mailer"
	"github.com/elkgezin/elkgezin/pages"
	"github.com/elkgezin/elkgezin/payloadcodec"
	"github.com/elkgezin/elkgezin/programme"
	"github.com/elkgezin/elkgezin/ratelimit"
	"github.com/elkgezin/elkgezin/retention"
	"github.com/elkgezin/elkgezin/session"
	"github.com/elkgezin/elkgezin/store"
	"github.com/elkgezin/elkgezin/telemetry"
	"github.com/elkgezin/elkgezin/usecase"

	"github.com/gorilla/mux"
)

type webParts struct {
	programmes programme.Catalogue
	services   programme.Services
	keys       sharedKeys
	store      *store.Store
	temporal   client.Client
	logger     *slog.Logger
}

// newWeb is everything the API process serves: the JSON API under /v1/,
// the codec under /codec/, health checks, and the pages at the rest.
// config.Load checked PUBLIC_BASE_URL against DEV_INSECURE_COOKIES.
func newWeb(cfg config.Config, p webParts) http.Handler {
	dev := cfg.DevInsecureCookies
	auth := api.TokenAuthenticator{Store: p.store}
	sessions := &session.Manager{Store: p.store, Programmes: p.programmes, Insecure: dev}
	// One limiter in front of the API and the pages: a client has one
	// budget over both.
	limits := cfg.Parsed.RateLimit
	limits.SessionCookie = sessions.CookieName()
	limiter := ratelimit.New(limits)
	familyMail := &familylink.Mailer{Ledger: p.store, Sender: mailer.NewSender(mailConfig(cfg)), From: cfg.MailFrom}
	// config.Load checked HANDOVER_LINK_SECRETS, which the texter keys its tokens with.
	familySMS, _ := familyTexter(cfg, p.store)
	jsonAPI := api.NewHandler(api.Config{
		Programmes: p.programmes,
		Services:   p.services,
		Links:      p.keys.links,
		IDKey:      cfg.Parsed.TrajectoryID,
		Limiter:    limiter,
		Temporal:   p.temporal,
		Store:      p.store,
		Auth:       auth,
		Sessions:   sessions,
		Audit:      p.store,
		DataKeys:   p.store.Vault(),
		Eraser:     retention.Eraser{Temporal: p.temporal, Namespace: cfg.Temporal.Namespace, Store: p.store},
		// The Temporal UI decodes payloads here, for supervisors only,
		// and only of their own programmes' trajectories.
		Codec: payloadcodec.NewScopedHandler(payloadcodec.NewCodec(p.keys.payloads).WithDataKeys(p.store.Vault()),
			cfg.CodecCORSOrigin, api.ScopedSupervisorAuthorizer(auth, sessions, p.store.Vault().Programme)),
		Logger:          p.logger,
		RouteMiddleware: telemetry.RouteMiddleware,
		// The family's own page: links sealed with keys derived from the
		// handover link secrets, emailed through the same ledger as every email.
		FamilyLinks:   p.store,
		FamilySigner:  p.keys.familyLinks,
		FamilyMail:    familyMail,
		PublicBaseURL: cfg.PublicBaseURL,
		SMSReports:    p.store,
		FamilySMS:     familySMS,
	})
	cases := usecase.Cases{Programmes: p.programmes, Temporal: p.temporal, Store: p.store, Audit: p.store, Logger: p.logger}
	ui := pages.New(pages.Config{
		Cases:           cases,
		Referrals:       &usecase.Referrals{Cases: cases, IDKey: cfg.Parsed.TrajectoryID, Store: p.store, DataKeys: p.store.Vault()},
		Sessions:        sessions,
		Tokens:          p.store,
		Services:        p.services,
		TemporalUI:      cfg.TemporalUIURL,
		Namespace:       cfg.Temporal.Namespace,
		Limiter:         limiter,
		Logger:          p.logger,
		Figures:         p.store,
		RouteMiddleware: telemetry.RouteMiddleware,
		FamilyLinks: &familylink.Issuer{Links: p.store, Signer: p.keys.familyLinks, Mail: familyMail, SMS: familySMS,
			BaseURL: cfg.PublicBaseURL, Log: p.logger},
	})
	root := mux.NewRouter()
	root.PathPrefix("/v1/").Handler(jsonAPI)
	root.PathPrefix("/codec/").Handler(jsonAPI)
	root.Path("/healthz").Handler(jsonAPI)
	root.Path("/readyz").Handler(jsonAPI)
	root.PathPrefix("/").Handler(ui)
	if dev {
		return root
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Browsers keep to HTTPS for this host from the first answer on.
		w.Header().Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		root.ServeHTTP(w, r)
	})
}
