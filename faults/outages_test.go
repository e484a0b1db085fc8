//go:build faults

package faults

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// These outages last minutes; run them with
//
//	go test -tags faults -timeout 30m ./faults/

// PostgreSQL down for 60 s under load: the API answers 503 with
// Retry-After, /readyz names PostgreSQL, the worker's activities retry and
// the read model catches up; nothing lost, nothing twice.
func TestPostgresDownUnderLoad(t *testing.T) {
	pg := startPrivatePostgres(t)
	s := startSystem(t, pg.URL())
	s.underLoad(15*time.Second, 30*time.Second, func() {
		pg.Stop()
		time.Sleep(10 * time.Second)
		status, body, retry := get(t, s.st.APIURL+"/readyz")
		if status != http.StatusServiceUnavailable || retry == "" || !strings.Contains(body, "PostgreSQL") {
			t.Errorf("/readyz with PostgreSQL down: %d, Retry-After %q, %s", status, retry, body)
		}
		time.Sleep(50 * time.Second)
		pg.Start()
	})
	if s.load.unavail == 0 {
		t.Error("no caller saw a 503 while PostgreSQL was down")
	}
}

// The Temporal server killed and started again on its database: the API
// answers 503 meanwhile, the worker reconnects, nothing lost or doubled.
func TestTemporalKilledUnderLoad(t *testing.T) {
	s := startSystem(t, sharedServer())
	s.underLoad(15*time.Second, 30*time.Second, func() {
		if err := s.st.KillTemporal(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Second)
		if err := s.st.StartTemporalAgain(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

// The mail server down for two minutes under load: emails wait and retry,
// each arrives once when it is back.
func TestMailServerDownUnderLoad(t *testing.T) {
	s := startSystem(t, sharedServer())
	s.underLoad(10*time.Second, 20*time.Second, func() {
		s.sink.Stop()
		time.Sleep(2 * time.Minute)
		s.sink.Restart()
	})
}

func get(t *testing.T, url string) (int, string, string) {
	resp, err := http.Get(url)
	if err != nil {
		t.Errorf("GET %s: %v", url, err)
		return 0, "", ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var v any
	_ = json.Unmarshal(b, &v)
	return resp.StatusCode, string(b), resp.Header.Get("Retry-After")
}
