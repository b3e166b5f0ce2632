package webhook

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"testing"
)

// FuzzStripeHeader checks that the Stripe-Signature parser never panics,
// reports failures as ErrMalformedHeader, and that what it accepts survives
// a round trip through the canonical form.
func FuzzStripeHeader(f *testing.F) {
	for _, s := range []string{
		"t=1492774577,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd",
		"t=1492774577,v1=00,v1=01,v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39",
		"v1=01,t=-5", "t=1,t=2", "t=,v1=", ",", "=", "t=1,v1=0", " t = 1 ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		sh, err := parseStripeHeader(header)
		if err != nil {
			if !errors.Is(err, ErrMalformedHeader) {
				t.Fatalf("parseStripeHeader(%q) error %v does not wrap ErrMalformedHeader", header, err)
			}
			return
		}
		parts := []string{"t=" + strconv.FormatInt(sh.timestamp, 10)}
		for _, sig := range sh.v1 {
			parts = append(parts, "v1="+hex.EncodeToString(sig))
		}
		again, err := parseStripeHeader(strings.Join(parts, ","))
		if err != nil {
			t.Fatalf("canonical form of %q does not parse: %v", header, err)
		}
		if again.timestamp != sh.timestamp || !equalAll(again.v1, sh.v1) {
			t.Fatalf("round trip of %q changed it: %+v vs %+v", header, again, sh)
		}
	})
}

// FuzzStandardWebhooksHeader checks that the webhook-signature parser never
// panics and that what it accepts survives a round trip.
func FuzzStandardWebhooksHeader(f *testing.F) {
	for _, s := range []string{
		"v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
		"v1a,AAAA v1,bm90IGl0 v1,", "v1,,", ",", "v1,=", "\tv1,AQI=\n v1,Aw==",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		sigs := parseStandardSignatures(header)
		parts := make([]string, len(sigs))
		for i, sig := range sigs {
			parts[i] = "v1," + base64.StdEncoding.EncodeToString(sig)
		}
		if again := parseStandardSignatures(strings.Join(parts, " ")); !equalAll(again, sigs) {
			t.Fatalf("round trip of %q changed it: %x vs %x", header, again, sigs)
		}
	})
}
