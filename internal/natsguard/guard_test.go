package natsguard

import (
	"errors"
	"io"
	"net"
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
