package ratelimit

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func request(peer string, headers ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/gezinnen", nil)
	r.RemoteAddr = peer
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Add(headers[i], headers[i+1])
	}
	return r
}

// TestClientAddress: X-Forwarded-For counts only from a trusted proxy, and
// is read from the right past the trusted hops, so what a client writes
// into it itself is never taken for its address.
func TestClientAddress(t *testing.T) {
	proxies, err := ParseProxies("10.244.0.0/16, 2001:db8:1::/48")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"no proxy", "203.0.113.7:5000", nil, "203.0.113.7"},
		{"untrusted peer's header ignored", "203.0.113.7:5000", []string{"198.51.100.1"}, "203.0.113.7"},
		{"through the ingress", "10.244.3.9:5000", []string{"203.0.113.7"}, "203.0.113.7"},
		{"a client's own entry skipped", "10.244.3.9:5000", []string{"198.51.100.1, 203.0.113.7"}, "203.0.113.7"},
		{"two trusted hops", "10.244.3.9:5000", []string{"203.0.113.7, 10.244.1.1"}, "203.0.113.7"},
		{"header on several lines", "10.244.3.9:5000", []string{"198.51.100.1", "203.0.113.7, 10.244.1.1"}, "203.0.113.7"},
		{"a forged trusted address left of the client", "10.244.3.9:5000", []string{"10.244.9.9, 203.0.113.7"}, "203.0.113.7"},
		{"garbage where the client should be", "10.244.3.9:5000", []string{"unknown, 10.244.1.1"}, "10.244.1.1"},
		{"no header from the proxy", "10.244.3.9:5000", nil, "10.244.3.9"},
		{"every hop trusted", "10.244.3.9:5000", []string{"10.244.2.2, 10.244.1.1"}, "10.244.2.2"},
		{"an entry with a port", "10.244.3.9:5000", []string{"203.0.113.7:61000"}, "203.0.113.7"},
		{"IPv6 client", "[2001:db8:1::5]:443", []string{"[2001:db8:2::7]:61000"}, "2001:db8:2::7"},
		{"IPv4-mapped proxy", "[::ffff:10.244.3.9]:5000", []string{"203.0.113.7"}, "203.0.113.7"},
	} {
		var hd []string
		for _, v := range tc.xff {
			hd = append(hd, "X-Forwarded-For", v)
		}
		if got := proxies.ClientAddress(request(tc.peer, hd...)); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	// Without TRUSTED_PROXIES the header is never read.
	if got := Proxies(nil).ClientAddress(request("10.244.3.9:5000", "X-Forwarded-For", "203.0.113.7")); got != "10.244.3.9" {
		t.Errorf("no trusted proxies: %q, want the peer", got)
	}
}

func TestParseProxies(t *testing.T) {
	p, err := ParseProxies(" 10.244.0.0/16,192.0.2.10 ,2001:db8::/32,10.1.2.3/8")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.244.0.0/16", "192.0.2.10/32", "2001:db8::/32", "10.0.0.0/8"}
	if len(p) != len(want) {
		t.Fatalf("%v, want %v", p, want)
	}
	for i := range want {
		if p[i].String() != want[i] {
			t.Errorf("%d: %s, want %s", i, p[i], want[i])
		}
	}
	if p, err := ParseProxies(""); err != nil || p != nil {
		t.Errorf("empty: %v %v", p, err)
	}
	for _, bad := range []string{"10.244.0.0/33", "ingress", "0.0.0.0/0", "::/0", "10.0.0.0/8,*"} {
		if _, err := ParseProxies(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseRate(t *testing.T) {
	for in, want := range map[string]Rate{"600/1m": {600, time.Minute}, "10/1s": {10, time.Second}, "off": NoLimit} {
		if got, err := ParseRate(in); err != nil || got != want {
			t.Errorf("%s: %v %v, want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "600", "0/1m", "x/1m", "10/minute"} {
		if _, err := ParseRate(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestBudgets: each request draws on its client address, and on its token
// or session when it carries one; each has its own budget.
func TestBudgets(t *testing.T) {
	proxies, _ := ParseProxies("10.244.0.0/16")
	l := New(Config{
		PerAddress: Rate{4, time.Minute}, PerToken: Rate{3, time.Minute}, PerSession: Rate{2, time.Minute},
		TrustedProxies: proxies, SessionCookie: "__Host-s",
	})
	now := time.Now()
	drain := func(what string, n int, r func(i int) *http.Request, limit string) {
		t.Helper()
		for i := range n {
			if ok, why := l.allow(r(i), now); !ok {
				t.Fatalf("%s: request %d refused (%s)", what, i+1, why.Limit)
			}
		}
		ok, why := l.allow(r(n), now)
		if ok || why.Limit != limit || why.Wait <= 0 || why.RetryAfter() < 1 {
			t.Fatalf("%s: request %d: %v %+v, want refused by the %s limit", what, n+1, ok, why, limit)
		}
	}

	drain("one address", 4, func(int) *http.Request { return request("203.0.113.7:1") }, "address")
	// The client cannot name another address itself, but behind the
	// ingress every client has its own.
	if ok, _ := l.allow(request("203.0.113.7:1", "X-Forwarded-For", "198.51.100.1"), now); ok {
		t.Error("an address over its limit got a new budget by writing X-Forwarded-For")
	}
	drain("behind the ingress", 4, func(int) *http.Request {
		return request("10.244.0.5:1", "X-Forwarded-For", "198.51.100.2")
	}, "address")
	if ok, _ := l.allow(request("10.244.0.5:1", "X-Forwarded-For", "198.51.100.3"), now); !ok {
		t.Error("another client behind the same ingress shares the first one's budget")
	}
	// An IPv6 subscriber's /64 is one client.
	drain("one IPv6 network", 4, func(i int) *http.Request {
		return request("[2001:db8:5:6::" + string(rune('a'+i)) + "]:1")
	}, "address")

	token := "Bearer tok_abcdefgh." + strings.Repeat("A", 43)
	drain("one token", 3, func(i int) *http.Request {
		return request("192.0.2."+string(rune('1'+i))+":1", "Authorization", token)
	}, "token")
	drain("one session", 2, func(i int) *http.Request {
		return request("100.64.0."+string(rune('1'+i))+":1", "Cookie", "__Host-s=abc")
	}, "session")
	if ok, _ := l.allow(request("100.64.0.9:1", "Cookie", "__Host-s=def"), now); !ok {
		t.Error("another session shares the first one's budget")
	}
	// Budgets fill again with time.
	if ok, _ := l.allow(request("203.0.113.7:1"), now.Add(20*time.Second)); !ok {
		t.Error("an address is still refused after a quarter of the period")
	}
}

// TestSignInFailures: only failed sign-ins use an address's budget, and
// attempts at once cannot take more than it holds.
func TestSignInFailures(t *testing.T) {
	l := New(Config{SignIns: Rate{3, time.Hour}})
	r := request("203.0.113.7:1")
	for range 10 {
		a, ok, _ := l.SignIn(r)
		if !ok {
			t.Fatal("a sign-in that succeeds used the budget up")
		}
		a.Refund()
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		allowed int
	)
	for range 50 {
		wg.Go(func() {
			if _, ok, _ := l.SignIn(r); ok {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if allowed != 3 {
		t.Errorf("%d failing sign-ins at once allowed, want 3", allowed)
	}
	_, ok, why := l.SignIn(r)
	if ok || why.Limit != "sign-in" || why.RetryAfter() < 60 {
		t.Errorf("after three failures: %v %+v, want refused for about 20 minutes", ok, why)
	}
	if _, ok, _ := l.SignIn(request("203.0.113.8:1")); !ok {
		t.Error("another address shares the budget")
	}
	if _, ok, _ := New(Config{SignIns: NoLimit}).SignIn(r); !ok {
		t.Error("off: refused")
	}
}

func TestKeyedLimitsEachKeyAlone(t *testing.T) {
	k := NewKeyed("family-link", Rate{Requests: 2, Per: time.Hour})
	for i := range 2 {
		if ok, _ := k.Allow("a"); !ok {
			t.Fatalf("request %d of a refused", i+1)
		}
	}
	ok, why := k.Allow("a")
	if ok || why.Limit != "family-link" || why.Wait <= 0 {
		t.Errorf("third request of a: %v, %+v; want refused for a while", ok, why)
	}
	if ok, _ := k.Allow("b"); !ok {
		t.Error("b refused for a's requests")
	}
}
