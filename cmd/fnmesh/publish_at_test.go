package main

import (
	"strings"
	"testing"
	"time"
)

func TestPublishDeliverAtFlags(t *testing.T) {
	f := publishFlags{typ: "com.example.remind", source: "/cli", in: 10 * time.Minute}
	e, err := f.event()
	if err != nil {
		t.Fatal(err)
	}
	v, _ := e.Extensions()["deliverat"].(string)
	at, err := time.Parse(time.RFC3339Nano, v)
	if err != nil || at.Sub(time.Now()) < 9*time.Minute || at.Sub(time.Now()) > 11*time.Minute {
		t.Fatalf("--in 10m: deliverat %q (%v)", v, err)
	}
	f = publishFlags{typ: "t", source: "/cli", at: "2030-01-02T09:00:00+02:00"}
	if e, err = f.event(); err != nil || e.Extensions()["deliverat"] != "2030-01-02T07:00:00Z" {
		t.Fatalf("--at: %v %v", e, err)
	}
	for _, bad := range []publishFlags{{typ: "t", at: "tomorrow"}, {typ: "t", in: -time.Second}} {
		if _, err := bad.event(); err == nil || !strings.Contains(err.Error(), "--") {
			t.Errorf("%+v: %v, want an error naming the flag", bad, err)
		}
	}
}
