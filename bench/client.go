package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// apiClient speaks to the elkgezin API as partners, supervisors and coaches do.
type apiClient struct {
	base string
	http *http.Client
	keys atomic.Int64
}

func newAPIClient(base string) *apiClient {
	return &apiClient{base: base, http: &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxIdleConns: 256},
	}}
}

// post sends body as token and wants status (or any 2xx when want is 0).
// A 503 is retried with the same Idempotency-Key, as the API asks, up to
// three times; the time it takes counts in the call's latency.
func (a *apiClient) post(ctx context.Context, token, path, body string, want int) ([]byte, error) {
	key := fmt.Sprintf("bench-%d-%d", time.Now().UnixNano(), a.keys.Add(1))
	for try := 1; ; try++ {
		b, status, err := a.postOnce(ctx, token, path, body, key, want)
		if status != http.StatusServiceUnavailable || try == 3 {
			return b, err
		}
		time.Sleep(time.Second)
	}
}

func (a *apiClient) postOnce(ctx context.Context, token, path, body, key string, want int) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.base+path, strings.NewReader(body))
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	resp, err := a.http.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if (want != 0 && resp.StatusCode != want) || resp.StatusCode >= 300 {
		return b, resp.StatusCode, fmt.Errorf("POST %s: %d %s", path, resp.StatusCode, bytes.TrimSpace(b))
	}
	return b, resp.StatusCode, nil
}

// refer sends a referral and returns the trajectory id.
func (a *apiClient) refer(ctx context.Context, token, programme, partner, reference string) (string, error) {
	body := fmt.Sprintf(`{"programme":%q,"referrer":{"organisation":%q,"reference":%q},`+
		`"family":{"contact_name":"Bench Gezin","phone":"+32 470 00 00 00"},"reason":"bench"}`, programme, partner, reference)
	// 201, or 200 when a retry with the same Idempotency-Key finds the
	// referral the first try made.
	b, err := a.post(ctx, token, "/v1/referrals", body, 0)
	if err != nil {
		return "", err
	}
	var r struct{ ID string }
	if err := json.Unmarshal(b, &r); err != nil || r.ID == "" {
		return "", fmt.Errorf("referral answer without id: %s", b)
	}
	return r.ID, nil
}

func (a *apiClient) step(ctx context.Context, token, id, step, body string) error {
	_, err := a.post(ctx, token, "/v1/trajectories/"+id+"/"+step, body, http.StatusOK)
	return err
}

// get fetches path as token and wants 200.
func (a *apiClient) get(ctx context.Context, token, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.base+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := a.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return b, fmt.Errorf("GET %s: %d %s", path, resp.StatusCode, bytes.TrimSpace(b))
	}
	return b, nil
}
