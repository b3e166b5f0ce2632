package docker

import (
	"fmt"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"

	"github.com/fnmesh/fnmesh/workers/workerlog"
)

// logRefollow is the pause before the output of a container whose log
// stream ended (it exited, and may be restarted) is followed again.
const logRefollow = time.Second

// forwardLogs logs the output of container id (replica name of fn) on the
// runtime's logger, line by line with the function and the replica, until
// the container is gone or the runtime closes. Restarts by the engine are
// followed too: each follow starts where the last one ended.
func (rt *Runtime) forwardLogs(fn, name, id string) {
	log := rt.log.With("function", fn, "replica", name)
	stdout, stderr := workerlog.New(log, "stdout"), workerlog.New(log, "stderr")
	defer stdout.Flush()
	defer stderr.Flush()
	since := time.Time{}
	for {
		opts := client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Follow: true}
		if !since.IsZero() {
			opts.Since = fmt.Sprintf("%d.%09d", since.Unix(), since.Nanosecond())
		}
		rc, err := rt.cli.ContainerLogs(rt.logCtx, id, opts)
		if err == nil {
			_, _ = stdcopy.StdCopy(stdout, stderr, rc)
			_ = rc.Close()
			since = time.Now()
		}
		if rt.logCtx.Err() != nil {
			return
		}
		if _, err := rt.cli.ContainerInspect(rt.logCtx, id, client.ContainerInspectOptions{}); isNotFound(err) {
			return
		}
		t := time.NewTimer(logRefollow)
		select {
		case <-rt.logCtx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}
