package webhook

import (
	"fmt"
	"net/http"
)

// header returns the value of the header name, which the scheme needs.
// An absent or empty header is ErrMissingHeader. A header sent more than
// once is ErrMalformedHeader: which copy counts would otherwise differ
// between this check and whatever reads the request next, and a wrong
// first signature followed by a right one must not pass.
func header(h http.Header, name string) (string, error) {
	v, err := optionalHeader(h, name)
	if err == nil && v == "" {
		err = fmt.Errorf("%w: %s", ErrMissingHeader, name)
	}
	return v, err
}

// optionalHeader is header for a header the scheme can do without: absent
// is "" and no error; sent more than once is ErrMalformedHeader.
func optionalHeader(h http.Header, name string) (string, error) {
	vals := h.Values(name)
	switch len(vals) {
	case 0:
		return "", nil
	case 1:
		return vals[0], nil
	default:
		return "", fmt.Errorf("%w: %s: sent %d times, must be sent once", ErrMalformedHeader, name, len(vals))
	}
}

// headers is header for each of names, in order.
func headers(h http.Header, names ...string) ([]string, error) {
	vals := make([]string, len(names))
	for i, name := range names {
		v, err := header(h, name)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	return vals, nil
}
