// Command http-echo is an example fnmesh HTTP function: a CloudEvents
// endpoint in binary mode, written with net/http alone, that answers every
// event with a com.example.echoed event carrying the same data.
//
// fnmesh POSTs each event with its attributes in ce-* headers
// (percent-encoded), its datacontenttype in Content-Type and its data as the
// body. A 2xx answer acknowledges the event; when the answer carries
// ce-specversion it is a follow-up event, published by fnmesh. 429 and 5xx
// are retried (Retry-After is honoured), other 4xx dead-letter the event.
//
// Run it:
//
//	go run ./functions/examples/http-echo -addr 127.0.0.1:8090
//
// and point a function at it in the mesh file:
//
//	functions:
//	  - name: echo
//	    filters: [{ exact: { type: com.example.order.created } }]
//	    run: { http: { url: "http://127.0.0.1:8090/" } }
//
// or try it with curl:
//
//	curl -i localhost:8090/ -H 'ce-specversion: 1.0' -H 'ce-id: 1' \
//	  -H 'ce-source: /demo' -H 'ce-type: com.example.demo' \
//	  -H 'Content-Type: application/json' -d '{"hello":"world"}'
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"strings"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "listen address")
	flag.Parse()
	srv := &http.Server{Addr: *addr, Handler: newHandler(), ReadHeaderTimeout: 10 * time.Second}
	log.Printf("http-echo listening on %s", *addr)
	log.Fatal(srv.ListenAndServe())
}

// maxBody bounds the accepted event data.
const maxBody = 1 << 20

// newHandler answers binary-mode CloudEvents with an echo.
func newHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "POST a CloudEvent in binary mode", http.StatusMethodNotAllowed)
			return
		}
		attrs, err := readAttrs(r.Header)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest) // permanent: do not retry
			return
		}
		data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			http.Error(w, "body: "+err.Error(), http.StatusRequestEntityTooLarge)
			return
		}
		log.Printf("echo %s %s from %s (%d bytes)", attrs["type"], attrs["id"], attrs["source"], len(data))

		h := w.Header()
		h.Set("ce-specversion", "1.0")
		h.Set("ce-id", encode("echo-"+attrs["id"]))
		h.Set("ce-source", "/examples/http-echo")
		h.Set("ce-type", "com.example.echoed")
		if s := attrs["subject"]; s != "" {
			h.Set("ce-subject", encode(s))
		}
		if ct := r.Header.Get("Content-Type"); ct != "" {
			h.Set("Content-Type", ct)
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(data)
	})
}

// readAttrs reads the ce-* headers, percent-decoded, and checks the
// required attributes.
func readAttrs(h http.Header) (map[string]string, error) {
	attrs := map[string]string{}
	for k, v := range h {
		if len(k) <= 3 || !strings.EqualFold(k[:3], "ce-") || len(v) == 0 {
			continue
		}
		s, err := url.PathUnescape(v[0])
		if err != nil {
			return nil, fmt.Errorf("header %s: %w", k, err)
		}
		attrs[strings.ToLower(k[3:])] = s
	}
	if attrs["specversion"] != "1.0" {
		return nil, errors.New("ce-specversion: must be 1.0 (binary mode)")
	}
	for _, name := range []string{"id", "source", "type"} {
		if attrs[name] == "" {
			return nil, fmt.Errorf("ce-%s: required", name)
		}
	}
	return attrs, nil
}

// encode percent-encodes a header value as the CloudEvents HTTP binding
// asks: space, '"', '%' and bytes outside printable ASCII.
func encode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7F || c == '"' || c == '%' {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
