package functions

import (
	"context"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/fnmesh/fnmesh/internal/history"
)

// historyFlushTimeout bounds the wait for the last run records' PubAcks
// when a replica stops.
const historyFlushTimeout = 2 * time.Second

// flushHistory sends the records still buffered, waits briefly for their
// PubAcks and
// logs what the recorder dropped or lost.
func flushHistory(rec *history.Recorder, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), historyFlushTimeout)
	defer cancel()
	if err := rec.Close(ctx); err != nil {
		log.Warn("run history not flushed", "error", err)
	}
	if st := rec.Stats(); st.Dropped > 0 || st.Failed > 0 {
		log.Info("run history records not stored", "dropped", st.Dropped, "failed", st.Failed, "recorded", st.Recorded)
	}
}

// replicaName is the replica named in run records: FNMESH_REPLICA, else
// "<hostname>-<pid>" as the worker names itself.
func replicaName(fromEnv string) string {
	if fromEnv != "" {
		return fromEnv
	}
	host, _ := os.Hostname()
	return host + "-" + strconv.Itoa(os.Getpid())
}
