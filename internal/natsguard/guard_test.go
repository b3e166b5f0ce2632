package natsguard

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// chunks is a net.Conn whose reads return the given pieces, then EOF.
type chunks struct {
	net.Conn
	parts [][]byte
}

func (c *chunks) Read(p []byte) (int, error) {
	if len(c.parts) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.parts[0])
	if n < len(c.parts[0]) {
		c.parts[0] = c.parts[0][n:]
	} else {
		c.parts = c.parts[1:]
	}
	return n, nil
}

// through reads everything the server sends, split into parts, through
// the guard, and returns it with the dropped lines.
func through(t testing.TB, parts ...string) (string, []string) {
	t.Helper()
	src := &chunks{}
	for _, p := range parts {
		src.parts = append(src.parts, []byte(p))
	}
	var dropped []string
	out, err := io.ReadAll(Guard(src, func(l string) { dropped = append(dropped, l) }))
	if err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	return string(out), dropped
}

const info = "INFO {\"server_id\":\"x\",\"max_payload\":1048576}\r\n"

func TestGuard(t *testing.T) {
	tests := []struct {
		name        string
		parts       []string
		want        string
		wantDropped []string
	}{
		{
			name:        "fatal error dropped",
			parts:       []string{info, "PING\r\n", "-ERR 'Maximum Control Line Exceeded'\r\n"},
			want:        info + "PING\r\n",
			wantDropped: []string{"-ERR 'Maximum Control Line Exceeded'"},
		},
		{
			name:        "unknown error dropped, the connection goes on",
			parts:       []string{info + "-ERR 'Invalid Publish Subject'\r\nPONG\r\n"},
			want:        info + "PONG\r\n",
			wantDropped: []string{"-ERR 'Invalid Publish Subject'"},
		},
		{
			name:  "errors nats.go handles pass",
			parts: []string{info, "-ERR 'Permissions Violation for Publish to \"x\"'\r\n-ERR 'Authorization Violation'\r\n-ERR 'Stale Connection'\r\n"},
			want:  info + "-ERR 'Permissions Violation for Publish to \"x\"'\r\n-ERR 'Authorization Violation'\r\n-ERR 'Stale Connection'\r\n",
		},
		{
			name:  "payloads are not parsed",
			parts: []string{info, "MSG a 1 35\r\n-ERR 'Maximum Control Line Exceeded'\r\n", "\r\nHMSG a 1 r 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"},
			want:  info + "MSG a 1 35\r\n-ERR 'Maximum Control Line Exceeded'\r\n\r\nHMSG a 1 r 12 14\r\nNATS/1.0\r\n\r\nhi\r\n",
		},
		{
			name:  "lines split across reads",
			parts: []string{"IN", "FO {}\r", "\n-ER", "R 'Parser Error'\r\nPI", "NG\r\n"},
			want:  "INFO {}\r\nPING\r\n", wantDropped: []string{"-ERR 'Parser Error'"},
		},
		{
			name:  "tls required: the rest passes",
			parts: []string{"INFO {\"tls_required\":true}\r\n", "\x16\x03\x01-ERR 'x'\r\n"},
			want:  "INFO {\"tls_required\":true}\r\n\x16\x03\x01-ERR 'x'\r\n",
		},
		{
			name:  "not NATS: everything passes",
			parts: []string{"HTTP/1.1 101 Switching Protocols\r\n-ERR 'x'\r\n"},
			want:  "HTTP/1.1 101 Switching Protocols\r\n-ERR 'x'\r\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, dropped := through(t, tt.parts...)
			if got != tt.want {
				t.Errorf("read\n %q\nwant\n %q", got, tt.want)
			}
			if strings.Join(dropped, "|") != strings.Join(tt.wantDropped, "|") {
				t.Errorf("dropped %q, want %q", dropped, tt.wantDropped)
			}
		})
	}
}

// FuzzGuard: whatever the server sends and however it is split into
// reads, the guard reads the same bytes, and drops only -ERR lines.
func FuzzGuard(f *testing.F) {
	f.Add([]byte(info+"MSG a 1 5\r\nhello\r\n-ERR 'Maximum Control Line Exceeded'\r\n"), uint8(7))
	f.Add([]byte("INFO {}\r\nHMSG a 1 3 5\r\nx\r\nab\r\n+OK\r\n"), uint8(1))
	f.Add([]byte("INFO {}\r\nMSG a 1 -3\r\n-ERR 'x'\r\n"), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, split uint8) {
		whole, droppedWhole := through(t, string(data))
		var parts []string
		step := int(split)%13 + 1
		for i := 0; i < len(data); i += step {
			parts = append(parts, string(data[i:min(i+step, len(data))]))
		}
		split2, droppedSplit := through(t, parts...)
		if whole != split2 || len(droppedWhole) != len(droppedSplit) {
			t.Fatalf("one read: %q (dropped %q)\nsplit by %d: %q (dropped %q)", whole, droppedWhole, step, split2, droppedSplit)
		}
		for _, d := range droppedWhole {
			if !strings.HasPrefix(strings.ToUpper(d), "-ERR") {
				t.Fatalf("dropped %q, not an error line", d)
			}
		}
		if len(whole) > len(data) {
			t.Fatalf("read %d bytes of %d sent", len(whole), len(data))
		}
	})
}

// FuzzGuardMatchesAModel: the guard reads in place, keeping back only a
// control line split by a read; what it returns, however the bytes are
// split and whatever the reader's buffer size, is what a plain model
// returns that parses all it has read into a second buffer.
func FuzzGuardMatchesAModel(f *testing.F) {
	f.Add([]byte(info+"MSG a 1 5\r\nhello\r\n-ERR 'Maximum Control Line Exceeded'\r\nPING\r\n"), uint8(7), uint8(3))
	f.Add([]byte("INFO {}\r\nHMSG a 1 3 5\r\nx\r\nab\r\n-ERR 'Parser Error'\r\n+OK\r\n"), uint8(1), uint8(0))
	f.Add([]byte("INFO {\"tls_required\":true}\r\n-ERR 'x'\r\n"), uint8(2), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, split, bufSize uint8) {
		step := int(split)%13 + 1
		var parts [][]byte
		for i := 0; i < len(data); i += step {
			parts = append(parts, data[i:min(i+step, len(data))])
		}
		var gotDropped, wantDropped []string
		g := Guard(&chunks{parts: slices.Clone(parts)}, func(l string) { gotDropped = append(gotDropped, l) })
		buf := make([]byte, int(bufSize)%64+1)
		var got []byte
		for {
			n, err := g.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				break
			}
		}
		m := &model{src: &chunks{parts: slices.Clone(parts)}, dropped: func(l string) { wantDropped = append(wantDropped, l) }}
		want, _ := io.ReadAll(m)
		if !bytes.Equal(got, want) || !slices.Equal(gotDropped, wantDropped) {
			t.Fatalf("parts of %d, reads of %d:\nguard %q (dropped %q)\nmodel %q (dropped %q)", step, len(buf), got, gotDropped, want, wantDropped)
		}
	})
}

// model is the guard's rule written plainly: every byte read is parsed
// into out, and Read returns from out.
type model struct {
	src                   io.Reader
	dropped               func(string)
	in, out               []byte
	started, pass, failed bool
	payload               int
}

func (m *model) Read(p []byte) (int, error) {
	for len(m.out) == 0 {
		if m.failed {
			return 0, io.EOF
		}
		var buf [4096]byte
		n, err := m.src.Read(buf[:])
		m.in = append(m.in, buf[:n]...)
		m.parse()
		if err != nil {
			m.failed = true
		}
	}
	n := copy(p, m.out)
	m.out = m.out[n:]
	return n, nil
}

func (m *model) emit(n int) {
	m.out = append(m.out, m.in[:n]...)
	m.in = m.in[n:]
	if m.payload > 0 {
		m.payload = max(m.payload-n, 0)
	}
}

func (m *model) parse() {
	for len(m.in) > 0 {
		if m.pass {
			m.emit(len(m.in))
			return
		}
		if m.payload > 0 {
			m.emit(min(m.payload, len(m.in)))
			continue
		}
		if !m.started {
			if len(m.in) < 4 {
				return
			}
			m.started = true
			if !bytes.EqualFold(m.in[:4], []byte("INFO")) {
				m.pass = true
				continue
			}
		}
		end := bytes.Index(m.in, []byte("\r\n"))
		if end < 0 {
			if len(m.in) > maxLine {
				m.pass = true
			}
			return
		}
		line := string(m.in[:end])
		op, rest, _ := strings.Cut(line, " ")
		switch {
		case strings.EqualFold(op, "MSG"), strings.EqualFold(op, "HMSG"):
			m.emit(end + 2)
			m.payload = 0
			if f := strings.Fields(rest); len(f) > 0 {
				if n, err := strconv.Atoi(f[len(f)-1]); err == nil && n >= 0 {
					m.payload = n + 2
				}
			}
		case strings.EqualFold(op, "INFO"):
			m.emit(end + 2)
			if strings.Contains(rest, `"tls_required":true`) {
				m.pass = true
			}
		case strings.EqualFold(op, "-ERR") && closesForGood(line):
			m.in = m.in[end+2:]
			m.dropped(line)
		default:
			m.emit(end + 2)
		}
	}
}

// BenchmarkGuard reads deliveries of 256-byte events through the guard
// with nats.go's read size, as a consumer's connection does.
func BenchmarkGuard(b *testing.B) {
	var stream []byte
	stream = append(stream, info...)
	payload := strings.Repeat("x", 256)
	for i := range 1000 {
		hdr := "NATS/1.0\r\nce-id: " + strconv.Itoa(i) + "\r\n\r\n"
		stream = fmt.Appendf(stream, "HMSG events.a 1 $JS.ACK.S.C.1.%d.%d.1700000000000000000.0 %d %d\r\n%s%s\r\n", i, i, len(hdr), len(hdr)+len(payload), hdr, payload)
	}
	buf := make([]byte, 32768)
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	for b.Loop() {
		g := Guard(&chunks{parts: [][]byte{stream}}, nil)
		for {
			if _, err := g.Read(buf); err != nil {
				break
			}
		}
	}
}
