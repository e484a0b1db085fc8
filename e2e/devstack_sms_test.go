package e2e

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// checkSMS: deploy/dev says where the SMS can be seen and where Kannel's
// sendsms is; an SMS sent there reaches fakesmsc, whose log shows it.
func checkSMS(t *testing.T, state, out string) {
	t.Helper()
	log := filepath.Join(state, "kannel", "fakesmsc.log")
	if !strings.Contains(out, log) {
		t.Errorf("deploy/dev does not say where the SMS are (%s):\n%s", log, out)
	}
	gateway := regexp.MustCompile(`http://127\.0\.0\.1:[0-9]+/cgi-bin/sendsms`).FindString(out)
	password, err := os.ReadFile(filepath.Join(state, "kannel", "password"))
	if gateway == "" || err != nil {
		t.Fatalf("deploy/dev names no sendsms URL, or keeps no password (%v):\n%s", err, out)
	}
	q := url.Values{"username": {"elkgezin"}, "password": {strings.TrimSpace(string(password))}, "to": {"+32470000001"}, "text": {"Dag Jan, proef"}}
	resp, err := http.Get(gateway + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("Kannel's sendsms answered %d", resp.StatusCode)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if b, _ := os.ReadFile(log); strings.Contains(string(b), "+32470000001 text Dag Jan, proef") {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	b, _ := os.ReadFile(log)
	t.Errorf("the SMS did not reach fakesmsc:\n%s", b)
}
