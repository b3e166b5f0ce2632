package functions

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/internal/telemetry"
)

// ExitPermanent is the exit status with which an exec function says "do not
// retry this event": the worker dead-letters it at once. Any other non-zero
// status is retried. 100 is outside the sysexits range (64-78, where 75,
// EX_TEMPFAIL, means "try again") and the shell's 126-165 range, so a program
// does not return it by accident.
const ExitPermanent = 100

// stderrTail is how much of an exec function's stderr an error quotes.
const stderrTail = 1 << 10

// ExitError is the error for an exec function that exited with a non-zero
// status (or was killed).
type ExitError struct {
	// Path of the program.
	Path string
	// Code is the exit status, -1 when the process was killed by a signal.
	Code int
	// Stderr is the last KiB the program wrote to stderr.
	Stderr string
	// Err is the underlying error (an *exec.ExitError, or the context's error
	// when the deadline killed the process).
	Err error
}

// Error names the program, its status and the end of its stderr.
func (e *ExitError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "exec %s: ", e.Path)
	switch {
	case e.Code == ExitPermanent:
		fmt.Fprintf(&b, "exit status %d (permanent)", e.Code)
	case e.Code >= 0:
		fmt.Fprintf(&b, "exit status %d", e.Code)
	default:
		b.WriteString(e.Err.Error())
	}
	if s := strings.TrimSpace(e.Stderr); s != "" {
		b.WriteString(": stderr: ")
		b.WriteString(s)
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *ExitError) Unwrap() error { return e.Err }

// Permanent reports whether the program exited with ExitPermanent.
func (e *ExitError) Permanent() bool { return e.Code == ExitPermanent }

// ExecAdapter runs a program per event (see NewExecAdapter).
type ExecAdapter struct {
	argv []string
	dir  string
	env  []string
	log  *slog.Logger // program output, when set (WithExecLogger)
}

var _ Handler = (*ExecAdapter)(nil)

// NewExecAdapter returns a Handler that runs argv once per event, in dir
// (empty: the current directory), with the event in the CloudEvents JSON
// format on stdin. The environment is env (nil: this process's environment)
// plus FNMESH_EVENT_ID, FNMESH_EVENT_TYPE, FNMESH_EVENT_SOURCE and
// FNMESH_EVENT_SUBJECT, and TRACEPARENT and TRACESTATE with the trace of
// ctx (the delivery's process span) when it has one, so that a traced
// program continues the event's trace (an fnmesh program does, through
// telemetry.ContextFromEnv); a TRACEPARENT or TRACESTATE env already holds
// is replaced.
//
// The exit status decides the outcome:
//
//   - 0: done. When stdout holds a CloudEvent in the JSON format (an object,
//     or an array of them) it is returned and published; empty stdout or
//     stdout that is not JSON means no follow-up event. JSON on stdout that
//     is not a valid CloudEvent is a permanent error (ErrInvalidReply).
//   - ExitPermanent: a permanent error; the event is dead-lettered.
//   - anything else: retried. The error (an *ExitError) quotes the last KiB
//     of stderr.
//
// When ctx ends (the function's timeout) the program's whole process group
// is killed, so children it started die with it; after the program exits,
// whatever it left running in its group is killed too. On Linux the
// program also dies when the worker does (a parent-death signal).
func NewExecAdapter(argv []string, dir string, env []string, opts ...ExecOption) Handler {
	a := &ExecAdapter{argv: append([]string(nil), argv...), dir: dir, env: append([]string(nil), env...)}
	for _, o := range opts {
		if o != nil {
			o(a)
		}
	}
	return a
}

// Handle runs the program for e.
func (a *ExecAdapter) Handle(ctx context.Context, e event.Event) ([]event.Event, error) {
	if len(a.argv) == 0 || a.argv[0] == "" {
		return nil, Permanent(errors.New("exec adapter: argv is empty: a program to run is required"))
	}
	input, err := json.Marshal(e)
	if err != nil {
		return nil, Permanent(fmt.Errorf("exec %s: encode event: %w", a.argv[0], err))
	}
	cmd := exec.CommandContext(ctx, a.argv[0], a.argv[1:]...)
	cmd.Dir = a.dir
	env := a.env
	if env == nil {
		env = os.Environ()
	}
	env = slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
		return strings.HasPrefix(kv, telemetry.EnvTraceparent+"=") || strings.HasPrefix(kv, telemetry.EnvTracestate+"=")
	})
	cmd.Env = append(env,
		"FNMESH_EVENT_ID="+e.ID(),
		"FNMESH_EVENT_TYPE="+e.Type(),
		"FNMESH_EVENT_SOURCE="+e.Source(),
		"FNMESH_EVENT_SUBJECT="+e.Subject(),
	)
	cmd.Env = append(cmd.Env, telemetry.TraceEnv(ctx)...)
	var errLog *execLines
	if a.log != nil {
		errLog = newExecLines(a.log, e.ID(), "stderr")
	}
	stdout, stderr, err := runGroup(cmd, input, errLog)
	if err != nil {
		var xe *exec.ExitError
		switch {
		case ctx.Err() != nil:
			return nil, &ExitError{Path: a.argv[0], Code: -1, Stderr: stderr, Err: fmt.Errorf("killed: %w", context.Cause(ctx))}
		case errors.As(err, &xe):
			ee := &ExitError{Path: a.argv[0], Code: xe.ExitCode(), Stderr: stderr, Err: err}
			if ee.Permanent() {
				return nil, Permanent(ee)
			}
			return nil, ee
		default:
			return nil, fmt.Errorf("exec %s: %w", a.argv[0], err)
		}
	}
	out, err := parseExecOutput(stdout)
	if err != nil {
		return nil, Permanent(fmt.Errorf("exec %s: exit status 0 but %w on stdout: %w", a.argv[0], ErrInvalidReply, err))
	}
	if len(out) == 0 && a.log != nil && len(stdout) <= maxReplyBytes {
		w := newExecLines(a.log, e.ID(), "stdout")
		_, _ = w.Write(stdout)
		w.Flush()
	}
	return out, nil
}

// parseExecOutput returns the events on stdout: none when it is empty or not
// JSON, an error when it is JSON but not CloudEvents.
func parseExecOutput(stdout []byte) ([]event.Event, error) {
	if len(stdout) > maxReplyBytes {
		return nil, fmt.Errorf("stdout larger than %d bytes", maxReplyBytes)
	}
	s := bytes.TrimSpace(stdout)
	if len(s) == 0 || (s[0] != '{' && s[0] != '[') || !json.Valid(s) {
		return nil, nil
	}
	return parseStructured(s)
}

// runGroup runs cmd in its own process group with input on stdin and
// returns what it wrote to stdout (up to maxReplyBytes+1 bytes) and the end
// of stderr, which also goes to errLog line by line when it is not nil. The pipes are plain files, so waiting for the program does not
// wait for children that inherited them; those are killed with the group
// once the program exits.
func runGroup(cmd *exec.Cmd, input []byte, errLog *execLines) (stdout []byte, stderr string, err error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, "", err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		closeAll(inR, inW)
		return nil, "", err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		closeAll(inR, inW, outR, outW)
		return nil, "", err
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errW
	setProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		closeAll(inR, inW, outR, outW, errR, errW)
		return nil, "", err
	}
	// The child has its own copies now.
	closeAll(inR, outW, errW)

	var wg sync.WaitGroup
	var out bytes.Buffer
	tail := &tailBuffer{max: stderrTail}
	wg.Add(3)
	go func() {
		defer wg.Done()
		_, _ = inW.Write(input) // EPIPE when the program does not read stdin is fine
		_ = inW.Close()
	}()
	go func() {
		defer wg.Done()
		_, _ = io.Copy(&out, io.LimitReader(outR, maxReplyBytes+1))
		_, _ = io.Copy(io.Discard, outR)
		_ = outR.Close()
	}()
	go func() {
		defer wg.Done()
		var w io.Writer = tail
		if errLog != nil {
			w = io.MultiWriter(tail, errLog)
			defer errLog.Flush()
		}
		_, _ = io.Copy(w, errR)
		_ = errR.Close()
	}()
	err = cmd.Wait()
	killGroup(cmd)
	wg.Wait()
	return out.Bytes(), tail.String(), err
}

func closeAll(fs ...*os.File) {
	for _, f := range fs {
		_ = f.Close()
	}
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) >= t.max {
		t.buf = append(t.buf[:0], p[len(p)-t.max:]...)
		return n, nil
	}
	if over := len(t.buf) + len(p) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	t.buf = append(t.buf, p...)
	return n, nil
}

func (t *tailBuffer) String() string { return strings.ToValidUTF8(string(t.buf), "\uFFFD") }
