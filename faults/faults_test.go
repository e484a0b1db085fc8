package faults

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/elkgezin/elkgezin/internal/pgtest"
)

func filepathAbs(p string) (string, error) { return filepath.Abs(p) }

// testLog keeps the processes' output in a file of the test's, printed
// when the test fails.
func testLog(t *testing.T) io.Writer {
	f, err := os.Create(filepath.Join(t.TempDir(), "stack.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(f.Name())
			if len(b) > 8000 {
				b = b[len(b)-8000:]
			}
			t.Logf("end of the processes' log:\n%s", b)
		}
		f.Close()
	})
	return f
}

func sharedServer() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return pgtest.DefaultURL
}

// A worker killed with SIGKILL under load and started again loses no step
// and sends no email twice.
func TestWorkerKilledUnderLoad(t *testing.T) {
	s := startSystem(t, sharedServer())
	s.underLoad(15*time.Second, 20*time.Second, func() {
		s.st.KillWorker()
		time.Sleep(5 * time.Second)
		if err := s.st.StartWorker(); err != nil {
			t.Fatal(err)
		}
	})
}

// Both API replicas restarted in turn under load, as a rolling deploy
// does: callers' calls are spread over the two, as behind a load
// balancer, and go to the other while one is down; every step they were
// told succeeded is there once, every email sent once.
func TestAPIReplicasRestartedInTurn(t *testing.T) {
	s := startReplicated(t, sharedServer(), 2)
	var servedBefore []int
	s.underLoad(12*time.Second, 15*time.Second, func() {
		for i := range s.st.APIURLs {
			s.st.StopAPIReplica(i)
			time.Sleep(3 * time.Second)
			if err := s.st.StartAPIReplica(context.Background(), i); err != nil {
				t.Fatal(err)
			}
		}
		s.load.mu.Lock()
		servedBefore = slices.Clone(s.load.served)
		s.load.mu.Unlock()
	})
	// Both replicas served calls after both restarts: the load really was spread.
	for i, n := range s.load.served {
		if n <= servedBefore[i] {
			t.Errorf("API replica %d answered no call after the restarts (%d before, %d in all)", i, servedBefore[i], n)
		}
	}
}
