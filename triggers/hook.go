package triggers

import (
	"cmp"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/fnmesh/fnmesh/triggers/webhook"
)

// WebhookProviderExtension is the extension attribute naming the provider
// of a webhook event ("github", "stripe", ...).
const WebhookProviderExtension = "webhookprovider"

// HookConfig configures one webhook trigger. Errors name its fields as the
// mesh file does (webhook.provider, emit.source, ...).
type HookConfig struct {
	// Name identifies the trigger; required, and usable in a key-value key
	// (letters, digits, '-', '_', '.', '/', '=').
	Name string
	// Path is where a Mux mounts the webhook (see endpoint.CheckPath).
	Path string
	// Webhook is the provider's signature scheme with its secrets, already
	// resolved (see webhook.Config).
	Webhook webhook.Config
	// Emit sets the events' attributes. Without Emit.Type the type is
	// "<provider>.<provider event type>".
	Emit Emit
	// MaxBodyBytes is the largest accepted body; larger bodies get 413.
	// Default DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// BodyDedupWindow, when set, answers a delivery whose body is the same
	// as one stored within the window as a duplicate, whatever its id and
	// headers (see webhook.CheckDedupWindow for the bound). It needs the
	// WebhookIDs bucket. For providers that do not sign the delivery id.
	BodyDedupWindow time.Duration
}

// Validate reports the first setting of c (with defaults applied) that a
// webhook trigger cannot run with, as a *ConfigError.
func (c HookConfig) Validate() error {
	_, err := c.build()
	return err
}

// Hook is a webhook trigger: it verifies each delivery's signature with the
// provider's scheme and stores it as one CloudEvent. It is an http.Handler
// and safe for concurrent use.
//
// The event's id is the provider's delivery id; its type emit.type, or
// "<provider>.<provider event type>" (for example "github.push",
// "github.pull_request.opened", "stripe.checkout.session.completed"),
// or "<provider>" when the delivery names no type; its data the raw body
// with the request's Content-Type; its time the provider's signed
// timestamp when the scheme has one, the time of receipt otherwise; and it
// carries the webhookprovider extension.
//
// Deliveries are de-duplicated by delivery id beyond the stream's duplicate
// window through a key-value bucket (WebhookBucket): the id is claimed
// before the publish and released again if the publish fails, so the
// provider's retry is accepted.
//
// Answers: 202 {"id": ...} once stored; 200 {"duplicate": true} for a
// delivery already stored; 200 {"challenge": ...} for a Slack
// url_verification; 401 {"error": "unauthorized"} for a delivery that fails
// verification (the reason is logged, never shown); 400 for a verified
// delivery without the fields the provider promises; 405 for methods
// other than POST; 409 while the same delivery is being stored by another
// request; 413 over the body limit; 503 while the broker is unreachable.
type Hook struct {
	name     string
	provider string
	verifier webhook.Verifier
	emit     emitter
	dedup    hookDedup
	pub      EventPublisher
	maxBody  int64
	// bodyWindow is how long a stored body counts (0: bodies are not
	// de-duplicated).
	bodyWindow time.Duration
	clock      Clock
	log        *slog.Logger
}

// errUnauthorized is the only thing a sender learns about a rejected
// delivery.
var errUnauthorized = errors.New("unauthorized")

// NewHook builds a webhook trigger publishing through pub: defaults, then
// options (WithWebhookIDs, WithClock, WithLogger), then cfg.Validate. It
// builds the provider's verifier, so a hook that is built can serve.
// Without WithWebhookIDs de-duplication is left to the stream's duplicate
// window. Errors wrap ErrConfig and name the field.
func NewHook(cfg HookConfig, pub EventPublisher, opts ...Option) (*Hook, error) {
	h, err := cfg.build()
	if err == nil {
		err = needPublisher(cfg.Name, pub)
	}
	if err != nil {
		return nil, err
	}
	d := applyOptions(opts)
	h.pub, h.clock = pub, d.clock
	h.dedup.kv = d.webhookIDs
	h.log = d.log.With("trigger", cfg.Name, "provider", cfg.Webhook.Provider)
	return h, nil
}

// build checks c with its defaults and returns the trigger it describes,
// without collaborators.
func (c HookConfig) build() (*Hook, error) {
	em, err := newEmitter(c.Name, c.Emit, false)
	if err != nil {
		return nil, err
	}
	v, err := webhook.New(c.Webhook)
	if err != nil {
		return nil, configErr(c.Name, "webhook", "%s", strings.TrimPrefix(err.Error(), webhook.ErrConfig.Error()+": "))
	}
	if c.MaxBodyBytes < 0 {
		return nil, configErr(c.Name, "maxBodyBytes", "must not be negative, got %d", c.MaxBodyBytes)
	}
	if err := webhook.CheckDedupWindow(c.BodyDedupWindow); err != nil {
		return nil, configErr(c.Name, "webhook.bodyDedupWindow", "%v, got %s", err, c.BodyDedupWindow)
	}
	h := &Hook{
		name:       c.Name,
		provider:   c.Webhook.Provider,
		verifier:   v,
		emit:       em,
		dedup:      hookDedup{prefix: c.Name + ".", pending: pendingTimeout},
		maxBody:    cmp.Or(c.MaxBodyBytes, DefaultMaxBodyBytes),
		bodyWindow: c.BodyDedupWindow,
	}
	if !kvKeyPattern.MatchString(h.dedup.prefix) {
		return nil, configErr(c.Name, "name", "must hold only letters, digits, '-', '_', '.', '/' or '=' for a webhook trigger")
	}
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *Hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, errors.New("method not allowed: use POST"))
		return
	}
	body, ok := readBodyOrAnswer(w, r, h.maxBody)
	if !ok {
		return
	}
	d, err := h.verifier.Verify(r.Header, body, h.clock.Now())
	switch {
	case errors.Is(err, webhook.ErrPayload):
		h.log.Warn("webhook rejected: unusable payload", "reason", logValue(err.Error()))
		writeError(w, http.StatusBadRequest, errors.New("the payload lacks fields the provider's scheme requires"))
		return
	case err != nil:
		h.log.Warn("webhook rejected", "reason", logValue(err.Error()), "remote", r.RemoteAddr)
		writeError(w, http.StatusUnauthorized, errUnauthorized)
		return
	}
	if d.Challenge != "" {
		writeJSON(w, http.StatusOK, map[string]string{"challenge": d.Challenge})
		return
	}
	e, err := h.event(d, r.Header, body)
	if err != nil {
		h.log.Warn("webhook rejected: delivery cannot be an event", "reason", logValue(err.Error()))
		writeError(w, http.StatusBadRequest, err)
		return
	}
	h.store(w, r, e, body)
}
