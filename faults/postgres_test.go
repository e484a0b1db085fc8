//go:build faults

package faults

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
)

// pgBin holds initdb and pg_ctl of the PostgreSQL the tests start.
const pgBin = "/usr/lib/postgresql/15/bin"

// privatePostgres is a PostgreSQL server of the test's own, which the test
// can stop and start without touching anyone else's databases.
type privatePostgres struct {
	t    *testing.T
	data string
	port int
	as   []string // runs a command as the postgres user when we are root
}

func startPrivatePostgres(t *testing.T) *privatePostgres {
	t.Helper()
	dir, err := os.MkdirTemp("", "elkgezin-pg")
	if err != nil {
		t.Fatal(err)
	}
	p := &privatePostgres{t: t, data: filepath.Join(dir, "data"), port: freeTCPPort(t)}
	// PostgreSQL refuses to run as root: run it as postgres then.
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root, and there is no postgres user to run PostgreSQL as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		p.as = []string{"runuser", "-u", "postgres", "--"}
	}
	t.Cleanup(func() {
		_ = p.cmd("pg_ctl", "-D", p.data, "stop", "-m", "immediate").Run()
		os.RemoveAll(dir)
	})
	p.run("initdb", "-D", p.data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8")
	p.Start()
	return p
}

func (p *privatePostgres) cmd(name string, args ...string) *exec.Cmd {
	argv := append(append(append([]string{}, p.as...), filepath.Join(pgBin, name)), args...)
	return exec.Command(argv[0], argv[1:]...)
}

func (p *privatePostgres) run(name string, args ...string) {
	p.t.Helper()
	if out, err := p.cmd(name, args...).CombinedOutput(); err != nil {
		p.t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

// URL is the server's address for the stack, which makes its database there.
func (p *privatePostgres) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.port)
}

// Start starts the server and waits until it accepts connections.
func (p *privatePostgres) Start() {
	p.t.Helper()
	p.run("pg_ctl", "-D", p.data, "-w", "-l", filepath.Join(filepath.Dir(p.data), "pg.log"),
		"-o", fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", p.port, filepath.Dir(p.data)), "start")
}

// Stop stops the server at once, as a crash or a failover does: open
// connections break.
func (p *privatePostgres) Stop() {
	p.t.Helper()
	p.run("pg_ctl", "-D", p.data, "-w", "stop", "-m", "immediate")
}

func freeTCPPort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
