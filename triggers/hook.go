package triggers

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/triggers/webhook"
)

// WebhookProviderExtension is the extension attribute naming the provider
// of a webhook event ("github", "stripe", ...).
const WebhookProviderExtension = "webhookprovider"

// HookOptions are the process-wide settings of webhook triggers.
type HookOptions struct {
	// MaxBodyBytes is the largest accepted body; larger bodies get 413.
	// Default config.DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Now tells the time that signed timestamps are checked against; nil
	// means time.Now.
	Now func() time.Time
	// Logger receives rejected deliveries (at warn, with the reason) and
	// publish failures; nil discards.
	Logger *slog.Logger
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
// timestamp, when the scheme has one; and it carries the webhookprovider
// extension.
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
	now      func() time.Time
	log      *slog.Logger
}

// errUnauthorized is the only thing a sender learns about a rejected
// delivery.
var errUnauthorized = errors.New("unauthorized")

// NewHook builds a webhook trigger. It resolves every secret (secretRef and
// secretRefs, several for rotation) and builds the provider's verifier, so
// a hook that is built can serve. dedup is the WebhookBucket; nil leaves
// de-duplication to the stream's duplicate window. Errors wrap ErrConfig
// and name the field.
func NewHook(cfg config.Trigger, pub EventPublisher, dedup KeyValue, opts HookOptions) (*Hook, error) {
	wh := cfg.Webhook
	if wh == nil {
		return nil, configErr(cfg.Name, "webhook", "required for a webhook trigger")
	}
	if pub == nil {
		return nil, configErr(cfg.Name, "publisher", "required")
	}
	em, err := newEmitter(cfg, false)
	if err != nil {
		return nil, err
	}
	vcfg, err := verifierConfig(cfg.Name, wh)
	if err != nil {
		return nil, err
	}
	v, err := webhook.New(vcfg)
	if err != nil {
		return nil, configErr(cfg.Name, "webhook", "%s", strings.TrimPrefix(err.Error(), webhook.ErrConfig.Error()+": "))
	}
	h := &Hook{
		name:     cfg.Name,
		provider: wh.Provider,
		verifier: v,
		emit:     em,
		dedup:    hookDedup{kv: dedup, prefix: cfg.Name + ".", pending: pendingTimeout},
		pub:      pub,
		maxBody:  opts.MaxBodyBytes,
		now:      opts.Now,
		log:      orDiscard(opts.Logger).With("trigger", cfg.Name, "provider", wh.Provider),
	}
	if h.maxBody <= 0 {
		h.maxBody = config.DefaultMaxBodyBytes
	}
	if h.now == nil {
		h.now = time.Now
	}
	if !kvKeyPattern.MatchString(h.dedup.prefix) {
		return nil, configErr(cfg.Name, "name", "must hold only letters, digits, '-', '_', '.', '/' or '=' for a webhook trigger")
	}
	return h, nil
}

// verifierConfig resolves the secrets and maps the trigger to the
// verifier's configuration.
func verifierConfig(name string, wh *config.WebhookTrigger) (webhook.Config, error) {
	vc := webhook.Config{Provider: wh.Provider, Tolerance: wh.Tolerance.D()}
	resolve := func(field string, ref config.SecretRef) error {
		secret, err := ref.Resolve()
		if err != nil {
			return configErr(name, field, "%v", err)
		}
		vc.Secrets = append(vc.Secrets, secret)
		return nil
	}
	if wh.SecretRef != nil {
		if err := resolve("webhook.secretRef", *wh.SecretRef); err != nil {
			return webhook.Config{}, err
		}
	}
	for i, ref := range wh.SecretRefs {
		if err := resolve(fmt.Sprintf("webhook.secretRefs[%d]", i), ref); err != nil {
			return webhook.Config{}, err
		}
	}
	if len(vc.Secrets) == 0 {
		return webhook.Config{}, configErr(name, "webhook.secretRef", "required: at least one secret (secretRef or secretRefs)")
	}
	if hm := wh.HMAC; hm != nil {
		vc.Header, vc.Algorithm, vc.Encoding = hm.Header, hm.Algorithm, hm.Encoding
		vc.Prefix, vc.TimestampHeader, vc.IDHeader = hm.Prefix, hm.TimestampHeader, hm.IDHeader
	}
	// The mesh file gives every webhook a default tolerance; schemes that
	// sign no timestamp have nothing to apply it to.
	if wh.Provider == webhook.ProviderGitHub || (wh.Provider == webhook.ProviderHMAC && vc.TimestampHeader == "") {
		vc.Tolerance = 0
	}
	return vc, nil
}

// ServeHTTP implements http.Handler.
func (h *Hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, errors.New("method not allowed: use POST"))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Errorf("%w: limit is %d bytes", ErrBodyTooLarge, h.maxBody))
			return
		}
		writeError(w, http.StatusBadRequest, attrErr("", ruleBodyRead))
		return
	}
	d, err := h.verifier.Verify(r.Header, body, h.now())
	switch {
	case errors.Is(err, webhook.ErrPayload):
		h.log.Warn("webhook rejected: unusable payload", "reason", err)
		writeError(w, http.StatusBadRequest, errors.New("the payload lacks fields the provider's scheme requires"))
		return
	case err != nil:
		h.log.Warn("webhook rejected", "reason", err, "remote", r.RemoteAddr)
		writeError(w, http.StatusUnauthorized, errUnauthorized)
		return
	}
	if d.Challenge != "" {
		writeJSON(w, http.StatusOK, map[string]string{"challenge": d.Challenge})
		return
	}
	e, err := h.event(d, r.Header, body)
	if err != nil {
		h.log.Warn("webhook rejected: delivery cannot be an event", "reason", err)
		writeError(w, http.StatusBadRequest, err)
		return
	}
	h.store(w, r, e)
}
