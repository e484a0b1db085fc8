// Package kannelstack runs Kannel for tests: bearerbox with kannel-extras'
// fakesmsc as its SMSC, and smsbox, on free ports, from the dev stack's
// configuration (deploy/kannel/kannel.conf.tmpl). What fakesmsc got is
// read back from its log, as a test reads Mailpit's inbox.
package kannelstack

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf16"
)

// Kannel is one running gateway.
type Kannel struct {
	// URL is smsbox's sendsms; User and Password its sendsms user.
	URL, User, Password string
	dir                 string
	ports               [4]int // admin, smsbox, fake SMSC, sendsms
	mu                  sync.Mutex
	procs               []*exec.Cmd
}

// Message is one SMS that reached the fake SMSC.
type Message struct {
	From, To, Text string
}

// fakesmscPaths are where kannel-extras puts fakesmsc.
var fakesmscPaths = []string{"/usr/lib/kannel/test/fakesmsc", "/usr/lib/kannel/fakesmsc"}

// Start runs Kannel until the test ends. template is the path of
// deploy/kannel/kannel.conf.tmpl.
func Start(t testing.TB, template string) *Kannel {
	t.Helper()
	k := &Kannel{User: "elkgezin", Password: "kannel-test", dir: t.TempDir()}
	for i := range k.ports {
		k.ports[i] = freePort(t)
	}
	raw, err := os.ReadFile(template)
	if err != nil {
		t.Fatal(err)
	}
	conf := strings.NewReplacer("@DIR@", k.dir, "@ADMIN_PORT@", strconv.Itoa(k.ports[0]), "@ADMIN_PASSWORD@", k.Password,
		"@SMSBOX_PORT@", strconv.Itoa(k.ports[1]), "@FAKESMSC_PORT@", strconv.Itoa(k.ports[2]),
		"@SENDSMS_PORT@", strconv.Itoa(k.ports[3]), "@USER@", k.User, "@PASSWORD@", k.Password).Replace(string(raw))
	if err := os.WriteFile(filepath.Join(k.dir, "kannel.conf"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	k.URL = fmt.Sprintf("http://127.0.0.1:%d/cgi-bin/sendsms", k.ports[3])
	t.Cleanup(k.Stop)
	k.start(t)
	return k
}

func (k *Kannel) start(t testing.TB) {
	t.Helper()
	fake := ""
	for _, p := range fakesmscPaths {
		if _, err := os.Stat(p); err == nil {
			fake = p
		}
	}
	if fake == "" {
		t.Fatalf("no fakesmsc in %v: run deploy/install-tools kannel", fakesmscPaths)
	}
	conf := filepath.Join(k.dir, "kannel.conf")
	k.run(t, "bearerbox.out", "/usr/sbin/bearerbox", "-v", "1", conf)
	waitPort(t, k.ports[2])
	k.run(t, "fakesmsc.log", fake, "-H", "127.0.0.1", "-r", strconv.Itoa(k.ports[2]), "-i", "1", "-m", "0", "0 0 text nop")
	k.run(t, "smsbox.out", "/usr/sbin/smsbox", "-v", "1", conf)
	waitPort(t, k.ports[3])
}

// run starts a process whose output is appended to the file out.
func (k *Kannel) run(t testing.TB, out string, name string, args ...string) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(k.dir, out), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	f.Close()
	k.mu.Lock()
	k.procs = append(k.procs, cmd)
	k.mu.Unlock()
}

// Stop ends every process of the gateway: SMS sent now find nobody.
func (k *Kannel) Stop() {
	k.mu.Lock()
	procs := k.procs
	k.procs = nil
	k.mu.Unlock()
	for i := len(procs) - 1; i >= 0; i-- {
		_ = procs[i].Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func(c *exec.Cmd) { _ = c.Wait(); close(done) }(procs[i])
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = procs[i].Process.Kill()
			<-done
		}
	}
}

// gotMessage is fakesmsc's line for an SMS it got: <from to text|ucs-2
// data>, or a part of a long one: <from to udh UDH data DATA>.
var gotMessage = regexp.MustCompile(`Got message \d+: <(\S+) (\S+) (text|ucs-2|udh) (.*)>$`)

// Messages are the SMS the fake SMSC got so far, in order; a long one
// that came in parts (concatenated SMS) is one, once all its parts came.
func (k *Kannel) Messages() []Message {
	raw, _ := os.ReadFile(filepath.Join(k.dir, "fakesmsc.log"))
	type long struct {
		Message
		parts []string
	}
	var out []*long
	open := map[string]*long{} // by sender, number and reference
	for _, line := range strings.Split(string(raw), "\n") {
		m := gotMessage.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		switch m[3] {
		case "text":
			out = append(out, &long{Message: Message{From: m[1], To: m[2], Text: m[4]}})
		case "ucs-2":
			out = append(out, &long{Message: Message{From: m[1], To: m[2], Text: ucs2(m[4])}})
		case "udh":
			udh, data, ok := strings.Cut(m[4], " data ")
			header, err := url.QueryUnescape(udh)
			if !ok || err != nil || len(header) < 6 {
				continue
			}
			ref, total, seq := fmt.Sprint(m[1], m[2], header[3]), int(header[4]), int(header[5])
			l := open[ref]
			if l == nil || seq == 1 {
				l = &long{Message: Message{From: m[1], To: m[2]}, parts: make([]string, total)}
				open[ref] = l
				out = append(out, l)
			}
			if seq >= 1 && seq <= len(l.parts) {
				l.parts[seq-1] = data
			}
		}
	}
	var msgs []Message
	for _, l := range out {
		if l.parts != nil {
			if slices.Contains(l.parts, "") {
				continue
			}
			l.Text = decodeData(strings.Join(l.parts, ""))
		}
		msgs = append(msgs, l.Message)
	}
	return msgs
}

// decodeData decodes a part's URL-encoded bytes: UTF-16BE when the first
// byte is not a printable character (UCS-2), else as they are.
func decodeData(s string) string {
	raw, err := url.QueryUnescape(s)
	if err != nil || raw == "" {
		return s
	}
	if raw[0] < 0x20 {
		return ucs2(s)
	}
	return raw
}

// WaitFor waits for an SMS that match accepts.
func (k *Kannel) WaitFor(t testing.TB, match func(Message) bool, timeout time.Duration) Message {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		for _, m := range k.Messages() {
			if match(m) {
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no such SMS within %s; the fake SMSC got %+v", timeout, k.Messages())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ucs2 decodes fakesmsc's URL-encoded UTF-16BE.
func ucs2(s string) string {
	raw, err := url.QueryUnescape(s)
	if err != nil || len(raw)%2 != 0 {
		return s
	}
	units := make([]uint16, len(raw)/2)
	if binary.Read(bytes.NewReader([]byte(raw)), binary.BigEndian, units) != nil {
		return s
	}
	return string(utf16.Decode(units))
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitPort(t testing.TB, port int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 200*time.Millisecond); err == nil {
			c.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("Kannel does not listen on port %d", port)
}
