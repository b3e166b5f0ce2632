//go:build unix

package functions

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
)

func script(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("testdata", "exec", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExecAdapterInput(t *testing.T) {
	dir := t.TempDir()
	workDir := t.TempDir()
	h := NewExecAdapter([]string{script(t, "capture.sh")}, workDir, []string{"PATH=" + os.Getenv("PATH"), "CAPTURE_DIR=" + dir})
	in := testEvent(t, "evt-1")
	out, err := h.Handle(context.Background(), in)
	if err != nil || len(out) != 0 {
		t.Fatalf("Handle = %v, %v; want no events, nil", out, err)
	}

	stdin, err := os.ReadFile(filepath.Join(dir, "stdin.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got event.Event
	if err := json.Unmarshal(stdin, &got); err != nil {
		t.Fatalf("stdin is not a structured CloudEvent: %v\n%s", err, stdin)
	}
	want, _ := json.Marshal(in)
	again, _ := json.Marshal(got)
	if !bytes.Equal(want, again) {
		t.Errorf("stdin event\n got %s\nwant %s", again, want)
	}

	env, err := os.ReadFile(filepath.Join(dir, "env"))
	if err != nil {
		t.Fatal(err)
	}
	wantEnv := "FNMESH_EVENT_ID=evt-1\nFNMESH_EVENT_SOURCE=/test/source\nFNMESH_EVENT_SUBJECT=orders/42\nFNMESH_EVENT_TYPE=com.example.order.created\n"
	if string(env) != wantEnv {
		t.Errorf("environment\n got %q\nwant %q", env, wantEnv)
	}
	pwd, err := os.ReadFile(filepath.Join(dir, "pwd"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimSpace(string(pwd)), workDir; got != want {
		t.Errorf("working directory = %q, want %q", got, want)
	}
}

func TestExecAdapterOutcomes(t *testing.T) {
	big := testEvent(t, "big")
	if err := big.SetData("application/octet-stream", bytes.Repeat([]byte{'x'}, 1<<20)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		script     string
		in         event.Event
		wantTypes  []string
		wantErr    bool
		permanent  bool
		is         error
		errHas     []string
		wantCode   int
		checkReply func(t *testing.T, out []event.Event)
	}{
		{name: "exit 0, log line on stdout", script: "no-event.sh"},
		{name: "exit 0, stdin not read, 1 MiB event", script: "silent.sh", in: big},
		{name: "exit 0, event on stdout", script: "reply.sh", wantTypes: []string{"com.example.replied"},
			checkReply: func(t *testing.T, out []event.Event) {
				if got := string(out[0].Data()); got != `{"in":"evt-2"}` {
					t.Errorf("reply data = %s", got)
				}
				if got := out[0].ID(); got != "reply-evt-2" {
					t.Errorf("reply id = %s", got)
				}
			}},
		{name: "exit 0, batch on stdout", script: "reply-batch.sh", wantTypes: []string{"com.example.one", "com.example.two"}},
		{name: "exit 0, invalid event on stdout", script: "invalid-reply.sh", wantErr: true, permanent: true, is: ErrInvalidReply,
			errHas: []string{"invalid-reply.sh", "exit status 0", "invalid CloudEvent"}},
		{name: "exit 1", script: "fail.sh", wantErr: true, wantCode: 1,
			errHas: []string{"exit status 1", "warming up\ndatabase unavailable"}},
		{name: "exit ExitPermanent", script: "permanent.sh", wantErr: true, permanent: true, wantCode: ExitPermanent,
			errHas: []string{"exit status 100 (permanent)", "order has no items"}},
		{name: "stderr tail", script: "noisy.sh", wantErr: true, wantCode: 1, errHas: []string{"THE-END"}},
		{name: "missing program", script: "does-not-exist.sh", wantErr: true, errHas: []string{"does-not-exist.sh"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			if in.Context == nil {
				in = testEvent(t, "evt-2")
			}
			out, err := NewExecAdapter([]string{script(t, tt.script)}, "", nil).Handle(context.Background(), in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if got := IsPermanent(err); got != tt.permanent {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, got, tt.permanent)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.is)
			}
			for _, s := range tt.errHas {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
			if tt.wantCode != 0 {
				var xe *ExitError
				if !errors.As(err, &xe) {
					t.Fatalf("error %v is not an *ExitError", err)
				}
				if xe.Code != tt.wantCode {
					t.Errorf("exit code = %d, want %d", xe.Code, tt.wantCode)
				}
				if len(xe.Stderr) > stderrTail {
					t.Errorf("stderr kept %d bytes, more than %d", len(xe.Stderr), stderrTail)
				}
			}
			var types []string
			for _, e := range out {
				types = append(types, e.Type())
			}
			if strings.Join(types, ",") != strings.Join(tt.wantTypes, ",") {
				t.Errorf("returned types = %v, want %v", types, tt.wantTypes)
			}
			if tt.checkReply != nil && len(out) > 0 {
				tt.checkReply(t, out)
			}
		})
	}
}

func TestExecAdapterEmptyArgv(t *testing.T) {
	_, err := NewExecAdapter(nil, "", nil).Handle(context.Background(), testEvent(t, "x"))
	if !IsPermanent(err) || !strings.Contains(err.Error(), "argv is empty") {
		t.Fatalf("err = %v, want a permanent error about the empty argv", err)
	}
}

// TestExecAdapterTimeoutKillsGroup: the deadline kills the script and the
// child it started.
func TestExecAdapterTimeoutKillsGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	h := NewExecAdapter([]string{script(t, "spawn.sh")}, "", append(os.Environ(), "PIDFILE="+pidFile))
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := h.Handle(ctx, testEvent(t, "slow"))
	if err == nil {
		t.Fatal("Handle returned nil for a script that outlives its deadline")
	}
	if IsPermanent(err) {
		t.Errorf("a timeout must be retryable, got permanent %v", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("errors.Is(%v, context.DeadlineExceeded) = false", err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("Handle took %s: the deadline did not stop it", d)
	}
	waitGone(t, readPid(t, pidFile))
}

// TestExecAdapterOrphanDoesNotBlock: a script that exits while a child
// still holds its stdout returns at once, and the child is killed.
func TestExecAdapterOrphanDoesNotBlock(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	h := NewExecAdapter([]string{script(t, "orphan.sh")}, "", append(os.Environ(), "PIDFILE="+pidFile))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := h.Handle(ctx, testEvent(t, "orphan")); err != nil {
		t.Fatalf("Handle = %v", err)
	}
	if ctx.Err() != nil {
		t.Fatal("Handle waited for the orphaned child until the deadline")
	}
	waitGone(t, readPid(t, pidFile))
}

func readPid(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("pid file %q: %v", b, err)
	}
	return pid
}

// waitGone waits until pid no longer runs (a zombie waiting for a reaper
// counts as gone: it is dead).
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if !alive(pid) {
			return
		}
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("child %d still runs after the adapter returned", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return !os.IsNotExist(err)
	}
	// The state follows the parenthesised command name.
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z' && stat[i+2] != 'X'
	}
	return true
}
