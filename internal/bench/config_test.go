package bench

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDefaults(t *testing.T) {
	tests := []struct {
		name     string
		scenario string
		in       Config
		want     Config
	}{
		{name: "pipeline", scenario: Pipeline,
			want: Config{Count: 50000, Size: 256, Duration: 5 * time.Second, Concurrency: 32, Replicas: 1, Rate: 5000}},
		{name: "scale", scenario: Scale,
			want: Config{Count: 2000, Size: 256, Duration: 5 * time.Second, Concurrency: 4, Replicas: 4, Rate: 5000, Work: 5 * time.Millisecond}},
		{name: "explicit values are kept", scenario: Scale,
			in:   Config{Count: 7, Size: 9, Duration: time.Second, Concurrency: 2, Replicas: 1, Rate: 10, Work: time.Millisecond},
			want: Config{Count: 7, Size: 9, Duration: time.Second, Concurrency: 2, Replicas: 1, Rate: 10, Work: time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Defaults(tt.scenario, tt.in)
			if got.Count != tt.want.Count || got.Size != tt.want.Size || got.Duration != tt.want.Duration ||
				got.Concurrency != tt.want.Concurrency || got.Replicas != tt.want.Replicas || got.Rate != tt.want.Rate || got.Work != tt.want.Work {
				t.Errorf("Defaults(%s) = %+v, want %+v", tt.scenario, got, tt.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	good := func(sc string, f func(*Config)) Config {
		c := Defaults(sc, Config{WorkerCommand: []string{"worker"}})
		if f != nil {
			f(&c)
		}
		return c
	}
	tests := []struct {
		name     string
		scenario string
		cfg      Config
		want     error
		mention  []string
	}{
		{name: "defaults are valid", scenario: Pipeline, cfg: good(Pipeline, nil)},
		{name: "zero-byte payloads", scenario: Pipeline, cfg: good(Pipeline, func(c *Config) { c.Size = 0 })},
		{name: "unknown scenario", scenario: "pipe", cfg: good(Pipeline, nil), want: ErrUnknownScenario, mention: []string{`"pipe"`, "ingest"}},
		{name: "negative count", scenario: Pipeline, cfg: good(Pipeline, func(c *Config) { c.Count = -1 }),
			want: ErrInvalidConfig, mention: []string{"--count", "between 1 and", "got -1"}},
		{name: "huge payload", scenario: Ingest, cfg: good(Ingest, func(c *Config) { c.Size = 2 << 20 }),
			want: ErrInvalidConfig, mention: []string{"--size", "1048576"}},
		{name: "too many clients", scenario: Ingest, cfg: good(Ingest, func(c *Config) { c.Concurrency = 5000 }),
			want: ErrInvalidConfig, mention: []string{"--concurrency"}},
		{name: "no replicas", scenario: Pipeline, cfg: good(Pipeline, func(c *Config) { c.Replicas = -3 }),
			want: ErrInvalidConfig, mention: []string{"--replicas", "got -3"}},
		{name: "short duration", scenario: Latency, cfg: good(Latency, func(c *Config) { c.Duration = time.Millisecond }),
			want: ErrInvalidConfig, mention: []string{"--duration", "100ms"}},
		{name: "zero rate", scenario: Latency, cfg: good(Latency, func(c *Config) { c.Rate = -5 }),
			want: ErrInvalidConfig, mention: []string{"--rate"}},
		{name: "negative work", scenario: Scale, cfg: good(Scale, func(c *Config) { c.Work = -time.Second }),
			want: ErrInvalidConfig, mention: []string{"--work"}},
		{name: "latency needs room for the timestamp", scenario: Latency, cfg: good(Latency, func(c *Config) { c.Size = 4 }),
			want: ErrInvalidConfig, mention: []string{"--size", "at least 8"}},
		{name: "scale without a worker", scenario: Scale, cfg: good(Scale, func(c *Config) { c.WorkerCommand = nil }),
			want: ErrNoWorker, mention: []string{"WorkerCommand"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(tt.scenario, tt.cfg)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Validate = %v, want %v", err, tt.want)
			}
			for _, m := range tt.mention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
		})
	}
}

func TestRunRejectsBadConfigBeforeStarting(t *testing.T) {
	if _, err := Run(t.Context(), Pipeline, Config{Count: -1}); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("Run = %v, want ErrInvalidConfig", err)
	}
	if _, err := Run(t.Context(), "nope", Config{}); !errors.Is(err, ErrUnknownScenario) {
		t.Fatalf("Run = %v, want ErrUnknownScenario", err)
	}
}
