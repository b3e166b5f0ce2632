package scale

import (
	"errors"
	"fmt"
	"time"

	"github.com/fnmesh/fnmesh/workers"
)

// Defaults of Params, applied to settings left at zero (KEDA's names and
// values where KEDA has them).
const (
	// DefaultMaxReplicaCount is the most replicas (raised to Min when that
	// is higher).
	DefaultMaxReplicaCount = 10
	// DefaultLagThreshold is the backlog one replica is expected to handle.
	DefaultLagThreshold = 100
	// DefaultCooldownPeriod is how long the backlog must stay below target
	// before scaling down.
	DefaultCooldownPeriod = 30 * time.Second
	// DefaultPollingInterval is how often the backlog is read.
	DefaultPollingInterval = time.Second
)

// ErrInvalidParams means scaling settings break a rule; the error names
// the setting.
var ErrInvalidParams = errors.New("invalid scaling settings")

// Params are a function's scaling settings.
type Params struct {
	// Min and Max bound the replica count (Max >= Min). Min defaults to 0,
	// Max to the larger of DefaultMaxReplicaCount and Min.
	Min int `json:"min"`
	Max int `json:"max"`
	// LagThreshold is the backlog one replica is expected to handle (>= 1).
	LagThreshold int `json:"lagThreshold"`
	// Activation is the backlog above which a function at zero replicas starts one.
	Activation int `json:"activation"`
	// Cooldown is how long the backlog must stay below target before scaling down.
	Cooldown time.Duration `json:"cooldown"`
	// PollingInterval is how often the backlog is read.
	PollingInterval time.Duration `json:"pollingInterval"`
	// Cap, when positive, bounds the desired count below Max: the most
	// replicas the function's flow settings keep busy (a rate limit, one
	// receiving replica of an ordered function). Min still wins over it.
	Cap int `json:"cap,omitempty"`
}

// WithDefaults returns p with every setting left at zero set to its
// default.
func (p Params) WithDefaults() Params {
	if p.Max == 0 {
		p.Max = max(DefaultMaxReplicaCount, p.Min)
	}
	if p.LagThreshold == 0 {
		p.LagThreshold = DefaultLagThreshold
	}
	if p.Cooldown == 0 {
		p.Cooldown = DefaultCooldownPeriod
	}
	if p.PollingInterval == 0 {
		p.PollingInterval = DefaultPollingInterval
	}
	return p
}

// Validate checks p (its defaults applied). The error joins one
// *workers.FieldError per broken rule, named as the mesh file and KEDA name
// the settings (minReplicaCount, ...); each wraps ErrInvalidParams.
func (p Params) Validate() error {
	var errs []error
	bad := func(field, rule string) {
		errs = append(errs, &workers.FieldError{Path: []workers.PathStep{workers.Key(field)}, Rule: rule, Err: ErrInvalidParams})
	}
	if p.Min < 0 {
		bad("minReplicaCount", "must not be negative")
	}
	switch {
	case p.Max < 1:
		bad("maxReplicaCount", "must be at least 1")
	case p.Min > p.Max:
		bad("minReplicaCount", fmt.Sprintf("must not be greater than maxReplicaCount (%d)", p.Max))
	}
	if p.LagThreshold < 1 {
		bad("lagThreshold", "must be at least 1")
	}
	if p.Activation < 0 {
		bad("activationLagThreshold", "must not be negative")
	}
	if p.Cooldown < 0 {
		bad("cooldownPeriod", "must not be negative")
	}
	if p.PollingInterval <= 0 {
		bad("pollingInterval", "must be positive")
	}
	if p.Cap < 0 {
		bad("cap", "must not be negative")
	}
	return errors.Join(errs...)
}
