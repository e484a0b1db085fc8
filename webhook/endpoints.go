package webhook

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/elkgezin/elkgezin/programme"
)

// Endpoint is where a partner organisation receives its events, and the
// secret they are signed with.
type Endpoint struct {
	URL    string
	Secret []byte
}

// Endpoints are the partners' endpoints by organisation id. A partner
// without one is told by email (its referrer's contact_email), if at all.
type Endpoints map[string]Endpoint

// minSecret is the shortest secret accepted: 32 bytes, as HMAC-SHA256's key.
const minSecret = 32

// Load reads the endpoints: file (PARTNER_WEBHOOKS_FILE) maps each
// organisation id to its https URL, in the clear; secrets
// (PARTNER_WEBHOOK_SECRETS, a secret variable) is "organisation:base64,…",
// one secret for each organisation of the file. Both empty: no endpoints.
func Load(file, secrets string) (Endpoints, error) {
	urls := map[string]string{}
	if file != "" {
		raw, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("partner webhooks: %w", err)
		}
		if err := yaml.Unmarshal(raw, &urls); err != nil {
			return nil, fmt.Errorf("partner webhooks %s: %w", file, err)
		}
	}
	keys, err := parseSecrets(secrets)
	if err != nil {
		return nil, err
	}
	return Parse(urls, keys)
}

// Parse pairs each organisation's URL with its secret.
func Parse(urls map[string]string, secrets map[string][]byte) (Endpoints, error) {
	eps := Endpoints{}
	var errs []error
	for org, u := range urls {
		parsed, err := url.Parse(u)
		switch {
		case err != nil || parsed.Host == "":
			errs = append(errs, fmt.Errorf("partner webhook of %s: %q is no URL", org, u))
			continue
		case parsed.Scheme != "https" && !loopback(parsed.Hostname()):
			errs = append(errs, fmt.Errorf("partner webhook of %s: must be https:// (plain http only to loopback)", org))
			continue
		}
		secret, ok := secrets[org]
		if !ok {
			errs = append(errs, fmt.Errorf("partner webhook of %s: no secret for it in PARTNER_WEBHOOK_SECRETS", org))
			continue
		}
		eps[org] = Endpoint{URL: u, Secret: secret}
	}
	for org := range secrets {
		if _, ok := urls[org]; !ok {
			errs = append(errs, fmt.Errorf("PARTNER_WEBHOOK_SECRETS: %s has no URL in PARTNER_WEBHOOKS_FILE", org))
		}
	}
	return eps, errors.Join(errs...)
}

func loopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// parseSecrets reads "organisation:base64,…"; errors never quote a secret.
func parseSecrets(s string) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		org, b64, ok := strings.Cut(part, ":")
		if !ok || org == "" {
			return nil, errors.New("PARTNER_WEBHOOK_SECRETS: each entry is organisation:base64")
		}
		key, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(key) < minSecret {
			return nil, fmt.Errorf("PARTNER_WEBHOOK_SECRETS: the secret of %s must be base64 of %d bytes or more", org, minSecret)
		}
		out[org] = key
	}
	return out, nil
}

// CheckPartners refuses an endpoint of an organisation that no programme
// lists among its referrers: a misspelt id would never get an event.
func (e Endpoints) CheckPartners(programmes programme.Catalogue) error {
	var errs []error
	for org := range e {
		known := false
		for _, id := range programmes.IDs() {
			if p, _ := programmes.Get(id); p.AllowsReferrer(org) {
				known = true
			}
		}
		if !known {
			errs = append(errs, fmt.Errorf("partner webhook of %s: no programme lists it among its referrers", org))
		}
	}
	return errors.Join(errs...)
}
