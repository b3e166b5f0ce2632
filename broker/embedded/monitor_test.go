package embedded_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnmesh/fnmesh/broker/embedded"
	"github.com/fnmesh/fnmesh/internal/poll"
)

// jsz is the part of /jsz that KEDA's nats-jetstream scaler decodes
// (pkg/scalers/nats_jetstream_scaler.go): account -> stream -> consumer,
// lag = num_pending + num_ack_pending.
type jsz struct {
	Accounts []struct {
		Name    string `json:"name"`
		Streams []struct {
			Name      string `json:"name"`
			Consumers []struct {
				Name          string `json:"name"`
				NumPending    int    `json:"num_pending"`
				NumAckPending int    `json:"num_ack_pending"`
			} `json:"consumer_detail"`
		} `json:"stream_detail"`
	} `json:"account_details"`
}

// kedaQuery is the query KEDA's scaler sends for an account;
// allQuery asks for every account with its streams and consumers.
const (
	kedaQuery = "acc=%s&consumers=true&config=true"
	allQuery  = "accounts=true&streams=true&consumers=true"
)

// lagOf reads the lag of a consumer the way KEDA does: GET /jsz?<query>,
// then the account, the stream and the consumer by name. found is false
// when one is missing.
func lagOf(t *testing.T, base, query, account, stream, consumer string) (lag int, found bool) {
	t.Helper()
	if strings.Contains(query, "%s") {
		query = fmt.Sprintf(query, account)
	}
	url := base + "/jsz?" + query
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	var body jsz
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("decode %s: %v", url, err)
	}
	for _, a := range body.Accounts {
		for _, s := range a.Streams {
			for _, c := range s.Consumers {
				if a.Name == account && s.Name == stream && c.Name == consumer {
					return c.NumPending + c.NumAckPending, true
				}
			}
		}
	}
	return 0, false
}

func TestMonitorServesJszAsKEDAReadsIt(t *testing.T) {
	srv, err := embedded.Start(embedded.Config{DataDir: t.TempDir(), MonitorAddr: "127.0.0.1:0"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	base := srv.MonitorURL()
	if !strings.HasPrefix(base, "http://127.0.0.1:") || strings.HasSuffix(base, ":0") {
		t.Fatalf("MonitorURL() = %q, want http://127.0.0.1:<port>", base)
	}

	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "EVENTS", Subjects: []string{"events.>"}})
	if err != nil {
		t.Fatal(err)
	}
	cons, err := stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{Durable: "billing", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatal(err)
	}
	const n, held = 7, 3
	for i := range n {
		if _, err := js.Publish(ctx, "events.order", fmt.Appendf(nil, "%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	// The consumer takes some without acknowledging them: they move from
	// num_pending to num_ack_pending, and the lag stays n.
	batch, err := cons.Fetch(held, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for range batch.Messages() {
		got++
	}
	if got != held {
		t.Fatalf("fetched %d, want %d", got, held)
	}
	// The server counts a consumer's pending messages as it goes: read
	// until it has caught up (under load the first answer can still say 0).
	var info *jetstream.ConsumerInfo
	poll.Until(t, 10*time.Second, "consumer info to count the fetched events", func() bool {
		info, err = cons.Info(ctx)
		return err == nil && info.NumPending == n-held && info.NumAckPending == held
	})
	// The account of a server without accounts is the global one, "$G".
	for _, query := range []string{kedaQuery, allQuery} {
		lag, found := lagOf(t, base, query, "$G", "EVENTS", "billing")
		if !found || lag != n {
			t.Errorf("/jsz?%s: lag = %d (found %v), want %d", query, lag, found, n)
		}
		if _, found := lagOf(t, base, query, "$G", "EVENTS", "nobody"); found {
			t.Errorf("/jsz?%s: a consumer that does not exist was found", query)
		}
	}
}

func TestMonitorIsOffByDefault(t *testing.T) {
	srv, err := embedded.Start(embedded.Config{DataDir: t.TempDir()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	if got := srv.MonitorURL(); got != "" {
		t.Errorf("MonitorURL() = %q without MonitorAddr, want none", got)
	}
}
