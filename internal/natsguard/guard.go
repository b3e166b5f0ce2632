package natsguard

import (
	"bytes"
	"net"
	"strconv"
	"strings"
	"sync"

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
	in      []byte // read from Conn, not yet parsed
	out     []byte // parsed, not yet returned
	payload int    // bytes of a MSG/HMSG payload (and its CRLF) still to pass
}

// Read returns what the server sent, without the dropped error lines.
func (c *Conn) Read(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.out) == 0 {
		if c.pass && len(c.in) == 0 {
			return c.Conn.Read(p)
		}
		buf := make([]byte, max(len(p), 4096))
		n, err := c.Conn.Read(buf)
		c.in = append(c.in, buf[:n]...)
		c.parse()
		if err != nil {
			if len(c.out) == 0 {
				// What is left unparsed is a partial line: it cannot be
				// acted on anyway.
				return 0, err
			}
			break
		}
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	return n, nil
}

// parse moves what it can of in to out.
func (c *Conn) parse() {
	for len(c.in) > 0 {
		if c.pass {
			c.emit(len(c.in))
			return
		}
		if c.payload > 0 {
			c.emit(min(c.payload, len(c.in)))
			continue
		}
		if !c.started {
			if len(c.in) < 4 {
				return
			}
			c.started = true
			if !bytes.EqualFold(c.in[:4], []byte("INFO")) {
				c.pass = true // TLS first, a websocket: not plain NATS
				continue
			}
		}
		end := bytes.Index(c.in, []byte("\r\n"))
		if end < 0 {
			if len(c.in) > maxLine {
				c.pass = true
			}
			return
		}
		line := string(c.in[:end])
		op, rest, _ := strings.Cut(line, " ")
		switch strings.ToUpper(op) {
		case "MSG", "HMSG":
			c.emit(end + 2)
			c.payload = payloadSize(rest)
		case "INFO":
			c.emit(end + 2)
			if strings.Contains(rest, `"tls_required":true`) {
				c.pass = true // the client upgrades to TLS next
			}
		case "-ERR":
			if closesForGood(line) {
				c.in = c.in[end+2:]
				if c.dropped != nil {
					c.dropped(line)
				}
				continue
			}
			c.emit(end + 2)
		default:
			c.emit(end + 2)
		}
	}
}

// emit moves n bytes of in to out.
func (c *Conn) emit(n int) {
	c.out = append(c.out, c.in[:n]...)
	c.in = c.in[n:]
	if c.payload > 0 {
		c.payload = max(c.payload-n, 0)
	}
}

// payloadSize is the size, with its CRLF, of the payload a MSG or HMSG
// line announces (its last field). A line that cannot be read makes the
// rest pass as it is: nats.go reports the problem.
func payloadSize(args string) int {
	f := strings.Fields(args)
	if len(f) == 0 {
		return 0
	}
	n, err := strconv.Atoi(f[len(f)-1])
	if err != nil || n < 0 {
		return 0
	}
	return n + 2
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
