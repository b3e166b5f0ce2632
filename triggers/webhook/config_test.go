package webhook_test

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fnmesh/fnmesh/triggers/webhook"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// TestConfigErrors checks that every invalid config is rejected with an
// error wrapping ErrConfig that names the field; the messages are kept in
// testdata/config_errors.golden.
func TestConfigErrors(t *testing.T) {
	s := [][]byte{[]byte("secret")}
	hmac := func(c webhook.Config) webhook.Config {
		c.Provider, c.Secrets = webhook.ProviderHMAC, s
		if c.Header == "" {
			c.Header = "X-Sig"
		}
		return c
	}
	tests := []struct {
		name  string
		cfg   webhook.Config
		field string
	}{
		{name: "no provider", cfg: webhook.Config{Secrets: s}, field: "provider"},
		{name: "unknown provider", cfg: webhook.Config{Provider: "gitlab", Secrets: s}, field: "provider"},
		{name: "provider in capitals", cfg: webhook.Config{Provider: "GitHub", Secrets: s}, field: "provider"},
		{name: "no secrets", cfg: webhook.Config{Provider: webhook.ProviderGitHub}, field: "secrets"},
		{name: "empty secret", cfg: webhook.Config{Provider: webhook.ProviderGitHub, Secrets: [][]byte{[]byte("a"), nil}}, field: "secrets[1]"},
		{name: "blank secret", cfg: webhook.Config{Provider: webhook.ProviderGitHub, Secrets: [][]byte{[]byte(" \t\n")}}, field: "secrets[0]"},
		{name: "negative tolerance", cfg: webhook.Config{Provider: webhook.ProviderStripe, Secrets: s, Tolerance: -time.Second}, field: "tolerance"},
		{name: "tolerance for github", cfg: webhook.Config{Provider: webhook.ProviderGitHub, Secrets: s, Tolerance: time.Minute}, field: "tolerance"},
		{name: "hmac field for stripe", cfg: webhook.Config{Provider: webhook.ProviderStripe, Secrets: s, Header: "X-Sig"}, field: "header"},
		{name: "hmac field for slack", cfg: webhook.Config{Provider: webhook.ProviderSlack, Secrets: s, SignedContent: "{body}"}, field: "signedContent"},
		{name: "whsec secret not base64", cfg: webhook.Config{Provider: webhook.ProviderStandardWebhooks, Secrets: [][]byte{[]byte("whsec_***")}}, field: "secrets[0]"},
		{name: "whsec secret empty", cfg: webhook.Config{Provider: webhook.ProviderStandardWebhooks, Secrets: [][]byte{[]byte("raw"), []byte("whsec_")}}, field: "secrets[1]"},
		{name: "hmac without header", cfg: webhook.Config{Provider: webhook.ProviderHMAC, Secrets: s}, field: "header"},
		{name: "hmac md5", cfg: hmac(webhook.Config{Algorithm: "md5"}), field: "algorithm"},
		{name: "hmac base32", cfg: hmac(webhook.Config{Encoding: "base32"}), field: "encoding"},
		{name: "hmac tolerance without timestamp", cfg: hmac(webhook.Config{Tolerance: time.Minute}), field: "tolerance"},
		{name: "hmac content without body", cfg: hmac(webhook.Config{SignedContent: "{id}", IDHeader: "X-Id"}), field: "signedContent"},
		{name: "hmac content with body twice", cfg: hmac(webhook.Config{SignedContent: "{body}{body}"}), field: "signedContent"},
		{name: "hmac content with unknown placeholder", cfg: hmac(webhook.Config{SignedContent: "{ts}.{body}", TimestampHeader: "X-T"}), field: "signedContent"},
		{name: "hmac content with timestamp but no header", cfg: hmac(webhook.Config{SignedContent: "{timestamp}.{body}"}), field: "signedContent"},
		{name: "hmac content with id but no header", cfg: hmac(webhook.Config{SignedContent: "{id}.{body}"}), field: "signedContent"},
		{name: "hmac timestamp not signed", cfg: hmac(webhook.Config{SignedContent: "{body}", TimestampHeader: "X-T"}), field: "signedContent"},
		{name: "hmac content with an empty header name", cfg: hmac(webhook.Config{SignedContent: "{header:}.{body}"}), field: "signedContent"},
		{name: "hmac content with a header name that is not a token", cfg: hmac(webhook.Config{SignedContent: "{header:X Event}.{body}"}), field: "signedContent"},
		{name: "hmac content with the signature header", cfg: hmac(webhook.Config{SignedContent: "{header:x-sig}.{body}"}), field: "signedContent"},
	}
	var golden strings.Builder
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := webhook.New(tt.cfg)
			if !errors.Is(err, webhook.ErrConfig) {
				t.Fatalf("New = %v, %v; want ErrConfig", v, err)
			}
			if !strings.Contains(err.Error(), ": "+tt.field+": ") {
				t.Errorf("New error %q does not name field %q", err, tt.field)
			}
			if strings.Contains(err.Error(), "secret\"") || strings.Contains(err.Error(), "***") {
				t.Errorf("New error %q quotes a secret", err)
			}
			fmt.Fprintf(&golden, "%s\n\t%v\n", tt.name, err)
		})
	}
	checkGolden(t, "config_errors.golden", golden.String())
}

// TestConfigValid checks configs that must be accepted.
func TestConfigValid(t *testing.T) {
	s := [][]byte{[]byte("secret")}
	for _, cfg := range []webhook.Config{
		{Provider: webhook.ProviderGitHub, Secrets: s},
		{Provider: webhook.ProviderStripe, Secrets: s, Tolerance: time.Hour},
		{Provider: webhook.ProviderStandardWebhooks, Secrets: [][]byte{[]byte("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), []byte("raw")}},
		{Provider: webhook.ProviderSlack, Secrets: s},
		{Provider: webhook.ProviderHMAC, Secrets: s, Header: "X-Sig"},
		{Provider: webhook.ProviderHMAC, Secrets: s, Header: "X-Sig", Algorithm: "sha1", Encoding: "base64", Prefix: "sha1=",
			TimestampHeader: "X-T", IDHeader: "X-Id", Tolerance: time.Minute, SignedContent: "v1:{id}:{timestamp}:{body}:end"},
		{Provider: webhook.ProviderHMAC, Secrets: s, Header: "X-Sig", IDHeader: "X-Id", SignedContent: "{id}.{header:X-Event}.{header:x-tenant}.{body}"},
	} {
		if _, err := webhook.New(cfg); err != nil {
			t.Errorf("New(%+v): %v", cfg, err)
		}
	}
}

// TestConfigSecretsCopied checks that the verifier keeps its own copy of the
// secrets, so a caller reusing the slice cannot change them.
func TestConfigSecretsCopied(t *testing.T) {
	secret := []byte("It's a Secret to Everybody")
	v, err := webhook.New(webhook.Config{Provider: webhook.ProviderGitHub, Secrets: [][]byte{secret}})
	if err != nil {
		t.Fatal(err)
	}
	copy(secret, "XXXX")
	h := map[string][]string{
		"X-Hub-Signature-256": {"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"},
		"X-Github-Delivery":   {"1"},
		"X-Github-Event":      {"ping"},
	}
	if _, err := v.Verify(h, []byte("Hello, World!"), now); err != nil {
		t.Errorf("Verify after caller changed its secret: %v", err)
	}
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (run with -update to accept):\n--- got\n%s--- want\n%s", path, got, want)
	}
}
