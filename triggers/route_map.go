package triggers

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnmesh/fnmesh/triggers/endpoint"
)

// mapping copies one request header or query parameter into an extension
// attribute.
type mapping struct {
	// from is the header name (canonical form) or the query parameter name.
	from string
	// ext is the extension attribute name.
	ext string
}

// buildMappings checks the header and query mappings of an HTTP trigger:
// header names are HTTP tokens, extension names are 1-20 lower-case letters
// or digits and not core attributes, and no extension is set twice (by two
// mappings, or by a mapping and emit.extensions).
func buildMappings(cfg RouteConfig) (headers, query []mapping, err error) {
	owner := map[string]string{}
	for name := range cfg.Emit.Extensions {
		owner[name] = "emit.extensions[" + strconv.Quote(name) + "]"
	}
	claim := func(field, ext string) error {
		if err := checkExtensionName(ext); err != nil {
			return configErr(cfg.Name, field, "%v", err)
		}
		if first, ok := owner[ext]; ok {
			return configErr(cfg.Name, field, "extension %q is already set by %s", ext, first)
		}
		owner[ext] = field
		return nil
	}
	for _, name := range sortedKeys(cfg.Headers) {
		field := "http.headers[" + strconv.Quote(name) + "]"
		if !endpoint.IsToken(name) {
			return nil, nil, configErr(cfg.Name, field, "header name must be an HTTP token")
		}
		if err := claim(field, cfg.Headers[name]); err != nil {
			return nil, nil, err
		}
		headers = append(headers, mapping{from: http.CanonicalHeaderKey(name), ext: cfg.Headers[name]})
	}
	for _, name := range sortedKeys(cfg.Query) {
		field := "http.query[" + strconv.Quote(name) + "]"
		if name == "" {
			return nil, nil, configErr(cfg.Name, field, "query parameter name must not be empty")
		}
		if err := claim(field, cfg.Query[name]); err != nil {
			return nil, nil, err
		}
		query = append(query, mapping{from: name, ext: cfg.Query[name]})
	}
	return headers, query, nil
}

// mapRequest sets the extension attributes mapped from r's headers and query
// parameters. Several values of one header or parameter are joined with
// ","; absent ones set nothing. A value that is not a valid CloudEvents
// string is an error naming the header or parameter.
func (rt *Route) mapRequest(e *event.Event, r *http.Request) error {
	for _, m := range rt.headers {
		vals := r.Header.Values(m.from)
		if len(vals) == 0 {
			continue
		}
		v := strings.Join(vals, ",")
		if err := checkString(m.ext, v); err != nil {
			return fmt.Errorf("header %s: %w", m.from, err)
		}
		setExtension(e, m.ext, v)
	}
	if len(rt.query) == 0 {
		return nil
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return fmt.Errorf("query: %w", err)
	}
	for _, m := range rt.query {
		vals, ok := q[m.from]
		if !ok {
			continue
		}
		v := strings.Join(vals, ",")
		if err := checkString(m.ext, v); err != nil {
			return fmt.Errorf("query parameter %q: %w", m.from, err)
		}
		setExtension(e, m.ext, v)
	}
	return nil
}

// sortedKeys returns the keys of m in order, so that checks report the same
// problem first on every run.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
