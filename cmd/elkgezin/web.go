package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"

	"go.temporal.io/sdk/client"

	"elkgezin/api"
	"elkgezin/pages"
	"elkgezin/payloadcodec"
	"elkgezin/programme"
	"elkgezin/retention"
	"elkgezin/session"
	"elkgezin/store"
	"elkgezin/trajectory"
	"elkgezin/usecase"
)

type webParts struct {
	programmes programme.Catalogue
	services   programme.Services
	keys       sharedKeys
	idKey      trajectory.IDKey
	limits     api.RateLimit
	store      *store.Store
	temporal   client.Client
	logger     *slog.Logger
}

// newWeb is everything the API process serves: the JSON API under /v1/,
// the codec under /codec/, health checks, and the pages at the rest.
func newWeb(p webParts) (http.Handler, error) {
	dev := os.Getenv("DEV_INSECURE_COOKIES") == "1"
	base := env("PUBLIC_BASE_URL", "http://127.0.0.1:8080")
	if u, err := url.Parse(base); err != nil || u.Host == "" || (u.Scheme != "https" && !(dev && u.Scheme == "http")) {
		return nil, fmt.Errorf("PUBLIC_BASE_URL %q: must be an https:// URL (sessions and links need HTTPS); "+
			"set DEV_INSECURE_COOKIES=1 only for development over plain HTTP", base)
	}
	auth := api.TokenAuthenticator{Store: p.store}
	sessions := &session.Manager{Store: p.store, Programmes: p.programmes, Insecure: dev}
	jsonAPI := api.NewHandler(api.Config{
		Programmes: p.programmes,
		Services:   p.services,
		Links:      p.keys.links,
		IDKey:      p.idKey,
		RateLimit:  p.limits,
		Temporal:   p.temporal,
		Store:      p.store,
		Auth:       auth,
		Sessions:   sessions,
		Audit:      p.store,
		DataKeys:   p.store.Vault(),
		Eraser:     retention.Eraser{Temporal: p.temporal, Store: p.store},
		// The Temporal UI decodes payloads here, for supervisors only,
		// and only of their own programmes' trajectories.
		Codec: payloadcodec.NewScopedHandler(payloadcodec.NewCodec(p.keys.payloads).WithDataKeys(p.store.Vault()),
			env("CODEC_CORS_ORIGIN", "http://127.0.0.1:8233"), api.ScopedSupervisorAuthorizer(auth, sessions, p.store.Vault().Programme)),
		Logger: p.logger,
	})
	ui := pages.New(pages.Config{
		Cases:      usecase.Cases{Programmes: p.programmes, Temporal: p.temporal, Store: p.store, Audit: p.store},
		Sessions:   sessions,
		Tokens:     p.store,
		Services:   p.services,
		TemporalUI: env("TEMPORAL_UI_URL", "http://127.0.0.1:8233"),
		Namespace:  env("TEMPORAL_NAMESPACE", "default"),
		Logger:     p.logger,
	})
	mux := http.NewServeMux()
	for _, prefix := range []string{"/v1/", "/codec/", "/healthz", "/readyz"} {
		mux.Handle(prefix, jsonAPI)
	}
	mux.Handle("/", ui)
	if dev {
		return mux, nil
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Browsers keep to HTTPS for this host from the first answer on.
		w.Header().Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		mux.ServeHTTP(w, r)
	}), nil
}
