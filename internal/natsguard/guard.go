package natsguard

import (
	"bytes"
	"math"
	"net"
	"strings"
	"sync"
	"unicode"

	"github.com/nats-io/nats.go"
)

// maxLine is the longest control line the guard parses; a longer one (an
// INFO with very many cluster URLs) makes it step aside.
const maxLine = 1 << 20

// DialTimeout bounds a TCP dial of Dialer (nats.go's default timeout).
const DialTimeout = nats.DefaultTimeout

// Dialer is a nats.CustomDialer whose connections are guarded.
type Dialer struct {
	// Dropped, when set, is called with each error line the guard drops.
	Dropped func(line string)
}

// Dial dials address and guards the connection.
func (d Dialer) Dial(network, address string) (net.Conn, error) {
	c, err := net.DialTimeout(network, address, DialTimeout)
	if err != nil {
		return nil, err
	}
	return Guard(c, d.Dropped), nil
}

// InProcess guards the in-process connections of p (an embedded
// server).
func InProcess(p nats.InProcessConnProvider, dropped func(line string)) nats.InProcessConnProvider {
	return inProcess{p: p, dropped: dropped}
}

type inProcess struct {
	p       nats.InProcessConnProvider
	dropped func(string)
}

func (i inProcess) InProcessConn() (net.Conn, error) {
	c, err := i.p.InProcessConn()
	if err != nil {
		return nil, err
	}
	return Guard(c, i.dropped), nil
}

// Guard returns c reading through the guard; dropped (may be nil) is
// called with each error line dropped.
func Guard(c net.Conn, dropped func(line string)) net.Conn {
	return &Conn{Conn: c, dropped: dropped}
}

// Conn is a guarded connection (see the package documentation).
type Conn struct {
	net.Conn
	dropped func(string)

	mu      sync.Mutex
	started bool   // the first bytes were looked at
	pass    bool   // everything passes from here on
	in      []byte // read from Conn, not yet returned: in[:ready] may pass, the rest is a partial line
	ready   int
	buf     []byte // where in is kept between reads
	payload int    // bytes of a MSG/HMSG payload (and its CRLF) still to pass
}

// Read returns what the server sent, without the dropped error lines.
//
// It reads into p and looks at the bytes where they are: a dropped line is
// cut out of p, and only a control line split by the end of a read is kept
// back (in Conn's own buffer) until the rest of it comes.
func (c *Conn) Read(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		if c.ready > 0 {
			n := copy(p, c.in[:c.ready])
			c.in, c.ready = c.in[n:], c.ready-n
			return n, nil
		}
		if len(c.in) == 0 {
			n, err := c.Conn.Read(p)
			ready, kept := c.scan(p[:n])
			c.in = append(c.buf[:0], p[ready:kept]...)
			switch {
			case ready > 0:
				return ready, nil // an error comes again on the next read
			case err != nil:
				return 0, err // a partial line left cannot be acted on anyway
			}
			continue
		}
		// A partial line is kept: read the rest behind it, in buf.
		k, want := len(c.in), max(len(p), 4096)
		if len(c.buf) < k+want {
			c.buf = make([]byte, 2*(k+want))
		}
		copy(c.buf, c.in)
		n, err := c.Conn.Read(c.buf[k : k+want])
		ready, kept := c.scan(c.buf[:k+n])
		c.in, c.ready = c.buf[:kept], ready
		if ready == 0 && err != nil {
			return 0, err
		}
	}
}

// scan looks at b, which starts at the start of a control line or within
// a payload, and cuts out of it, in place, the error lines to drop. b[:ready]
// may pass; b[ready:kept] is a control line not yet complete.
func (c *Conn) scan(b []byte) (ready, kept int) {
	n, i := len(b), 0
	for i < n {
		if c.pass {
			return n, n
		}
		if c.payload > 0 {
			k := min(c.payload, n-i)
			i, c.payload = i+k, c.payload-k
			continue
		}
		rest := b[i:n]
		if !c.started {
			if len(rest) < 4 {
				return i, n
			}
			c.started = true
			if !bytes.EqualFold(rest[:4], []byte("INFO")) {
				c.pass = true // TLS first, a websocket: not plain NATS
				continue
			}
		}
		end := bytes.Index(rest, []byte("\r\n"))
		if end < 0 {
			if len(rest) > maxLine {
				c.pass = true
				continue
			}
			return i, n
		}
		line := rest[:end]
		op, args, _ := bytes.Cut(line, []byte(" "))
		switch {
		case bytes.EqualFold(op, []byte("MSG")), bytes.EqualFold(op, []byte("HMSG")):
			c.payload = payloadSize(args)
		case bytes.EqualFold(op, []byte("INFO")):
			if bytes.Contains(args, []byte(`"tls_required":true`)) {
				c.pass = true // the client upgrades to TLS next
			}
		case bytes.EqualFold(op, []byte("-ERR")) && closesForGood(string(line)):
			if c.dropped != nil {
				c.dropped(string(line))
			}
			copy(b[i:], b[i+end+2:n])
			n -= end + 2
			continue
		}
		i += end + 2
	}
	return n, n
}

// payloadSize is the size, with its CRLF, of the payload a MSG or HMSG
// line announces (its last field). A line that cannot be read makes the
// rest pass as it is: nats.go reports the problem.
func payloadSize(args []byte) int {
	args = bytes.TrimRightFunc(args, unicode.IsSpace)
	n, ok := atoi(args[bytes.LastIndexFunc(args, unicode.IsSpace)+1:])
	if !ok || n < 0 {
		return 0
	}
	return n + 2
}

// atoi is strconv.Atoi of a decimal without its allocation.
func atoi(b []byte) (int, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	n := 0
	for _, d := range b {
		if d < '0' || d > '9' || n > (math.MaxInt-int(d-'0'))/10 {
			return 0, false
		}
		n = n*10 + int(d-'0')
	}
	if neg {
		return -n, true
	}
	return n, true
}

// closesForGood reports whether nats.go would close the connection for
// good on the error line (see nats.Conn's processErr): every error but the
// ones it handles itself.
func closesForGood(line string) bool {
	e := strings.TrimSpace(strings.TrimPrefix(line, "-ERR"))
	e = strings.ToLower(strings.Trim(e, "'"))
	switch e {
	case nats.STALE_CONNECTION, nats.MAX_CONNECTIONS_ERR, nats.MAX_ACCOUNT_CONNECTIONS_ERR, "unknown protocol operation":
		return false
	}
	for _, prefix := range []string{
		nats.PERMISSIONS_ERR, nats.MAX_SUBSCRIPTIONS_ERR, nats.AUTHORIZATION_ERR,
		nats.AUTHENTICATION_EXPIRED_ERR, nats.AUTHENTICATION_REVOKED_ERR, nats.ACCOUNT_AUTHENTICATION_EXPIRED_ERR,
	} {
		if strings.HasPrefix(e, prefix) {
			return false
		}
	}
	return true
}

var _ net.Conn = (*Conn)(nil)
