package triggers

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
)

// ErrBodyTimeout means the request body did not arrive within the server's
// read timeout (answer 408): a client that sends too slowly is cut off.
var ErrBodyTimeout = errors.New("request body not received in time")

// readBody reads the body of r, at most maxBody bytes; w, when not nil, is
// told to close the connection once the limit is hit. Its buffer grows as
// bytes arrive and never by the declared Content-Length, which a client may
// state without sending: a slow client holds only what it sent. A declared
// length over maxBody is refused before anything is read. Errors wrap
// ErrBodyTooLarge (413), ErrBodyTimeout (408) or ErrBadEvent (an
// *AttrError, 400).
func readBody(w http.ResponseWriter, r *http.Request, maxBody int64) ([]byte, error) {
	if r.ContentLength > maxBody {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrBodyTooLarge, r.ContentLength, maxBody)
	}
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	var buf bytes.Buffer
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, maxBody))
	var (
		tooLarge *http.MaxBytesError
		netErr   net.Error
	)
	switch {
	case err == nil:
		return buf.Bytes(), nil
	case errors.As(err, &tooLarge):
		return nil, fmt.Errorf("%w: limit %d: %w", ErrBodyTooLarge, maxBody, err)
	case errors.As(err, &netErr) && netErr.Timeout():
		return nil, fmt.Errorf("%w: %w", ErrBodyTimeout, err)
	default:
		return nil, fmt.Errorf("%w: %w", attrErr("", ruleBodyRead), err)
	}
}

// bodyStatus is the status answering a readBody error (or any error about
// a request body: 400 unless it is too large or too slow).
func bodyStatus(err error) int {
	switch {
	case errors.Is(err, ErrBodyTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrBodyTimeout):
		return http.StatusRequestTimeout
	default:
		return http.StatusBadRequest
	}
}

// readBodyOrAnswer reads the body of r for a route or webhook; when it
// cannot, it answers (413, 408 or 400) and returns false.
func readBodyOrAnswer(w http.ResponseWriter, r *http.Request, maxBody int64) ([]byte, bool) {
	body, err := readBody(w, r, maxBody)
	if err != nil {
		if errors.Is(err, ErrBodyTooLarge) {
			err = fmt.Errorf("%w: limit is %d bytes", ErrBodyTooLarge, maxBody)
		}
		writeError(w, bodyStatus(err), err)
		return nil, false
	}
	return body, true
}
