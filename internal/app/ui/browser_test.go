package ui_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/fnmesh/fnmesh/internal/app"
	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/internal/poll"
)

var updateScreenshots = flag.Bool("update-screenshots", false, "write the dashboard's screenshots to docs/img/ (also FNMESH_UPDATE_SCREENSHOTS=1)")

const browserMesh = `apiVersion: fnmesh.dev/v1alpha1
kind: Mesh
metadata: { name: shop }
streams:
  - name: EVENTS
    subjects: ["events.>"]
    schedules: true
triggers:
  - name: orders
    http: { path: /orders }
    emit: { type: com.example.order.created, source: /shop/api }
  - name: github
    webhook: { provider: github, path: /hooks/github, secretRef: { value: %q } }
  - name: nightly-report
    cron: { schedule: "0 3 * * *" }
    emit: { type: com.example.report.due }
functions:
  - name: fulfil-order
    filters: [{ exact: { type: com.example.order.created } }]
    run: { exec: ["sh", "-c", 'test -f "$READY" || { echo "warehouse offline" >&2; exit 1; }'] }
    env: { READY: %q }
    delivery: { retry: 0 }
  - name: send-report
    filters: [{ exact: { type: com.example.report.due } }]
    run: { exec: ["true"] }
`

const (
	token      = "dashboard-test-token-7c1f"
	hookSecret = "github-hook-secret-91d2"
)

// TestDashboardInBrowser runs `up` with a function that fails until a
// file exists, then drives the dashboard in headless chromium: sign in
// with ?token=, the overview, the failing function, the dead letters, a
// redrive from the page once the function works, and the event page
// showing the run that succeeded.
func TestDashboardInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("the browser test starts chromium: not under -short")
	}
	if os.Getenv("FNMESH_NO_BROWSER") == "1" {
		t.Skip("FNMESH_NO_BROWSER=1")
	}
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("the dashboard test needs Debian's chromium (apt-get install -y chromium), or FNMESH_NO_BROWSER=1 to skip it: %v", err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "fnmesh")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/fnmesh/fnmesh/cmd/fnmesh").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ready := filepath.Join(dir, "warehouse-ready")
	file := filepath.Join(dir, "mesh.yaml")
	if err := os.WriteFile(file, fmt.Appendf(nil, browserMesh, hookSecret, ready), 0o600); err != nil {
		t.Fatal(err)
	}
	// Tracing on, exported to a sink that takes everything: the runs carry
	// trace ids for the event page to link.
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	}))
	defer sink.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", sink.URL)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
	m, err := meshmap.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := app.New(ctx, app.Config{Mesh: m, Executable: bin, ShutdownTimeout: 2 * time.Second, Env: config.Env{
		DataDir: filepath.Join(dir, "data"), HTTPAddr: "127.0.0.1:0", NATSHost: "127.0.0.1",
		OpsToken: token, TraceURL: "http://127.0.0.1:16686/trace/{traceId}",
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx) }()
	defer func() { cancel(); <-done }()
	base := a.URL()
	poll.Until(t, 20*time.Second, "/readyz 200", func() bool {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})

	// A signed GitHub delivery and one with a bad signature.
	githubHook(t, base, "d-1", hookSecret)
	githubHook(t, base, "d-2", "not-the-secret")

	// Three orders that fail: three dead letters.
	var ids []string
	for i := 1; i <= 3; i++ {
		ids = append(ids, postOrder(t, base, i))
	}
	poll.Until(t, 60*time.Second, "three dead letters", func() bool {
		var dl struct{ DeadLetters []json.RawMessage }
		apiGet(t, base+"/api/v1/deadletters?function=fulfil-order", &dl)
		return len(dl.DeadLetters) == 3
	})

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU,
		chromedp.WindowSize(1360, 900), chromedp.Flag("hide-scrollbars", true))
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	defer bcancel()
	bctx, tcancel := context.WithTimeout(bctx, 3*time.Minute)
	defer tcancel()
	b := browser{t: t, ctx: bctx, shots: map[string][]byte{}}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	// Without the token the dashboard asks for it.
	b.do("open / without a token", chromedp.Navigate(base+"/"), chromedp.WaitVisible(css(`input[name="token"]`)))
	b.shot("login")
	if loc := b.location(); !strings.Contains(loc, "/ui/login") {
		t.Errorf("GET / without a token ended at %s, want the login form", loc)
	}

	// ?token= signs in (an HttpOnly cookie) and is dropped from the URL.
	b.do("overview", chromedp.Navigate(base+"/ui/?token="+token), chromedp.WaitVisible(css(`#functions tr[data-fn="fulfil-order"]`)))
	if loc := b.location(); strings.Contains(loc, "token") {
		t.Errorf("the token stayed in the URL: %s", loc)
	}
	if text := b.text(`#functions tr[data-fn="fulfil-order"]`); !strings.Contains(text, "100.0%") {
		t.Errorf("overview row of fulfil-order = %q, want an error rate of 100.0%%", text)
	}
	cookies, err := chromedp.Call(bctx, network.GetCookies, network.GetCookiesParams{})
	if err != nil {
		t.Fatal(err)
	}
	if c := cookies.Cookies; len(c) != 1 || !c[0].HTTPOnly || c[0].SameSite != network.CookieSameSiteStrict || c[0].Value == token {
		t.Errorf("session cookies = %+v, want one HttpOnly SameSite=Strict cookie that is not the token", c)
	}

	// The failing function, with its failures.
	b.do("open the function", chromedp.Click(css(`#functions a[href="/ui/functions/fulfil-order"]`), chromedp.NodeVisible),
		chromedp.WaitVisible(css(`#failures span.badge.bad`)))
	if text := b.text(`#failures`); !strings.Contains(text, "deadletter") || !strings.Contains(text, "exit status 1") {
		t.Errorf("failures of fulfil-order = %q, want dead letters with the exit status", text)
	}
	b.shot("function")

	// The dead letters; the function now works; redrive one from the page.
	target := "fulfil-order:" + ids[0]
	b.do("open the dead letters", chromedp.Click(css(`nav a[href="/ui/deadletters"]`), chromedp.NodeVisible),
		chromedp.WaitVisible(css(`#deadletters tr[data-key="`+target+`"]`)))
	b.shot("deadletters")
	if err := os.WriteFile(ready, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	b.do("redrive one", chromedp.Click(css(`#deadletters tr[data-key="`+target+`"] button[data-action="redrive"]`), chromedp.NodeVisible),
		chromedp.WaitVisible(css(`#flash`)))
	if text := b.text(`#flash`); text != "Redriven 1 dead letter." {
		t.Errorf("after redrive the page says %q", text)
	}
	if n := b.eval(`document.querySelectorAll("#deadletters tr[data-key]").length`); n != 2 {
		t.Errorf("%d dead letters listed after the redrive, want 2", n)
	}

	// The event page shows the dead letter and, live, the run that worked.
	b.do("the event succeeds", chromedp.Navigate(base+"/ui/events/"+ids[0]), chromedp.WaitVisible(css(`table[data-live-runs] span.badge.ok`)))
	if text := b.text(`table[data-live-runs]`); !strings.Contains(text, "deadletter") {
		t.Errorf("runs of %s = %q, want the dead letter and the ok run", ids[0], text)
	}
	b.do("reload the event", chromedp.Reload(), chromedp.WaitVisible(css(`#trace-link`)))
	if href := b.evalString(`document.getElementById("trace-link").href`); !strings.HasPrefix(href, "http://127.0.0.1:16686/trace/") || len(href) != len("http://127.0.0.1:16686/trace/")+32 {
		t.Errorf("trace link = %q, want FNMESH_TRACE_URL with a 32-hex trace id", href)
	}
	var runs struct {
		Runs []struct{ EventID, Outcome string }
	}
	apiGet(t, base+"/api/v1/runs?function=fulfil-order&outcome=ok", &runs)
	if len(runs.Runs) != 1 || runs.Runs[0].EventID != ids[0] {
		t.Errorf("ok runs in the history = %+v, want one of %s", runs.Runs, ids[0])
	}

	// More orders, handled: the overview follows them live.
	b.do("overview", chromedp.Navigate(base+"/ui/"), chromedp.WaitVisible(css(`#functions`)), chromedp.Sleep(time.Second))
	for i := 4; i <= 9; i++ {
		postOrder(t, base, i)
	}
	b.poll("seven ok runs listed live", `document.querySelectorAll("table.runs tbody tr[data-seq] .badge.ok").length >= 7`)
	b.poll("ten attempts counted live", `document.getElementById("t-attempts").textContent === "10"`)
	b.do("let the highlight fade", chromedp.Sleep(3*time.Second))
	b.shot("overview")
	b.do("the event", chromedp.Navigate(base+"/ui/events/"+ids[0]), chromedp.WaitVisible(css(`span.badge.ok`)))
	b.shot("event")
	b.do("triggers", chromedp.Click(css(`nav a[href="/ui/triggers"]`), chromedp.NodeVisible), chromedp.WaitVisible(css(`#crons`)))
	if text := b.text(`#crons`); !strings.Contains(text, "nightly-report") || !strings.Contains(text, "03:00:00.000") {
		t.Errorf("cron table = %q, want nightly-report with its next fire at 03:00", text)
	}
	if text := b.text(`#webhooks`); !strings.Contains(text, "github\t1\t0\t1\t0") {
		t.Errorf("webhook table = %q, want github with 1 accepted, 0 duplicates, 1 bad signature", text)
	}
	b.shot("triggers")

	// Two reminders due in an hour: the scheduled page lists them, and
	// one is cancelled from the page.
	due := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	for _, id := range []string{"remind-A-1001", "remind-A-1002"} {
		postScheduled(t, base, id, due)
	}
	b.do("scheduled", chromedp.Click(css(`nav a[href="/ui/scheduled"]`), chromedp.NodeVisible),
		chromedp.WaitVisible(css(`#scheduled tr[data-id="remind-A-1002"]`)))
	if text := b.text(`#scheduled tr[data-id="remind-A-1001"]`); !strings.Contains(text, "com.example.order.remind") || !strings.Contains(text, "/shop/reminders") ||
		!strings.Contains(text, "events.com.example.order.remind") || !strings.Contains(text, "in 59m") && !strings.Contains(text, "in 1h") {
		t.Errorf("scheduled row = %q, want the type, source, subject and the due time in about an hour", text)
	}
	if text := b.text(`#scheduled-streams tr[data-stream="EVENTS"]`); !strings.Contains(text, "2") {
		t.Errorf("scheduled per stream = %q, want EVENTS 2", text)
	}
	b.shot("scheduled")
	b.do("cancel one", chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`),
		chromedp.Click(css(`#scheduled tr[data-id="remind-A-1001"] button[data-action="cancel"]`), chromedp.NodeVisible),
		chromedp.WaitVisible(css(`#flash`)))
	if text := b.text(`#flash`); text != "Cancelled 1 scheduled event." {
		t.Errorf("after cancel the page says %q", text)
	}
	if n := b.eval(`document.querySelectorAll("#scheduled tr[data-id]").length`); n != 1 {
		t.Errorf("%d scheduled events listed after the cancel, want 1", n)
	}
	var sched struct {
		Scheduled []struct{ ID string }
	}
	apiGet(t, base+"/api/v1/scheduled", &sched)
	if len(sched.Scheduled) != 1 || sched.Scheduled[0].ID != "remind-A-1002" {
		t.Errorf("scheduled after the cancel = %+v, want only remind-A-1002", sched.Scheduled)
	}
	shots := b.shots

	if *updateScreenshots || os.Getenv("FNMESH_UPDATE_SCREENSHOTS") == "1" {
		out := filepath.Join("..", "..", "..", "docs", "img")
		if err := os.MkdirAll(out, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range shots {
			if err := os.WriteFile(filepath.Join(out, "ui-"+name+".png"), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("wrote %d screenshots to %s", len(shots), out)
	}
}

func postOrder(t *testing.T, base string, n int) string {
	t.Helper()
	resp, err := http.Post(base+"/orders", "application/json", strings.NewReader(fmt.Sprintf(`{"order": "A-%04d", "items": [{"sku": "tea-%d", "qty": %d}], "total": %d.50}`, 1000+n, n, n, 10*n)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct{ ID string }
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusAccepted && resp.StatusCode != http.StatusOK || json.Unmarshal(b, &v) != nil || v.ID == "" {
		t.Fatalf("POST /orders: %s %s", resp.Status, b)
	}
	return v.ID
}

// postScheduled posts an event with deliverat due to the CloudEvents
// endpoint.
func postScheduled(t *testing.T, base, id string, due time.Time) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/events", strings.NewReader(`{"order": "A-1001"}`))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range map[string]string{"specversion": "1.0", "id": id, "source": "/shop/reminders", "type": "com.example.order.remind", "deliverat": due.Format(time.RFC3339)} {
		req.Header.Set("Ce-"+k, v)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST /events %s: %s %s", id, resp.Status, b)
	}
}

func apiGet(t *testing.T, url string, v any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %s", url, resp.Status, b)
	}
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// browser runs the steps of the test in one tab, failing the test on an
// error.
type browser struct {
	t     *testing.T
	ctx   context.Context
	shots map[string][]byte
}

func (b browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

func (b browser) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func (b browser) location() string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	return s
}

func (b browser) eval(expr string) int {
	b.t.Helper()
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](expr))
	if err != nil {
		b.t.Fatalf("%s: %v", expr, err)
	}
	return n
}

func (b browser) evalString(expr string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		b.t.Fatalf("%s: %v", expr, err)
	}
	return s
}

func (b browser) poll(what, expr string) {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(60*time.Second))); err != nil {
		page, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector("main").innerText`))
		b.t.Fatalf("%s (%s): %v; the page shows:\n%s", what, expr, err, page)
	}
}

func (b browser) shot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	b.shots[name] = png
}

func githubHook(t *testing.T, base, id, secret string) {
	t.Helper()
	body := []byte(`{"ref": "refs/heads/main", "repository": {"full_name": "example/shop"}}`)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	req, _ := http.NewRequest(http.MethodPost, base+"/hooks/github", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-GitHub-Delivery", id)
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(m.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}
