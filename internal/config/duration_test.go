package config

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
)

func TestDurationYAML(t *testing.T) {
	type doc struct {
		D Duration `yaml:"d"`
	}
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{in: `d: 30s`, want: 30 * time.Second},
		{in: `d: "1h30m"`, want: 90 * time.Minute},
		{in: `d: 0`, want: 0},
		{in: `d: 0s`, want: 0},
		{in: `d:`, want: 0},
		{in: `d: 1.5h`, want: 90 * time.Minute},
		{in: `d: 30`, wantErr: "must be a Go duration"},
		{in: `d: 1.5`, wantErr: "must be a Go duration"},
		{in: `d: soon`, wantErr: "must be a Go duration"},
		{in: `d: -1s`, wantErr: "must not be negative"},
		{in: `d: [1s]`, wantErr: "must be a Go duration"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var got doc
			err := yaml.Unmarshal([]byte(tt.in), &got)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.D.D() != tt.want {
				t.Errorf("got %s, want %s", got.D, tt.want)
			}
			out, err := yaml.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			var back doc
			if err := yaml.Unmarshal(out, &back); err != nil || back != got {
				t.Errorf("round trip through %q = %v, %v", out, back, err)
			}
		})
	}
}

func TestDurationJSON(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{in: `"2m"`, want: 2 * time.Minute},
		{in: `0`, want: 0},
		{in: `null`, want: 0},
		{in: `"-2m"`, wantErr: true},
		{in: `120`, wantErr: true},
		{in: `"2 minutes"`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var d Duration
			err := json.Unmarshal([]byte(tt.in), &d)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && d.D() != tt.want {
				t.Errorf("got %s, want %s", d, tt.want)
			}
		})
	}
	b, err := json.Marshal(Duration(90 * time.Second))
	if err != nil || string(b) != `"1m30s"` {
		t.Errorf("MarshalJSON = %s, %v", b, err)
	}
}

// TestDurationPattern keeps the schema pattern in line with ParseDuration.
func TestDurationPattern(t *testing.T) {
	re := regexp.MustCompile(DurationPattern)
	for _, s := range []string{"0", "30s", "1h30m", "1.5h", "300ms", "2us", "2µs", ".5s", "+5s", "-5s", "5", "s", "1d", "", "1h 30m"} {
		_, err := ParseDuration(s)
		if got, want := re.MatchString(s), err == nil; got != want {
			t.Errorf("%q: pattern match %v, ParseDuration ok %v", s, got, want)
		}
	}
}
