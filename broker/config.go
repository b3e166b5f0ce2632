package broker

import (
	"errors"
	"fmt"
	"time"
)

// Defaults of the broker's settings.
const (
	// DefaultSubjectPrefix is the first token of event subjects.
	DefaultSubjectPrefix = "events"
	// DefaultTimeout bounds a broker call whose context has no deadline.
	DefaultTimeout = 5 * time.Second
)

// ErrInvalid marks a Config, StreamSpec or DeadLetterConfig that breaks a
// rule; the error is a *FieldError naming the field.
var ErrInvalid = errors.New("invalid broker configuration")

// FieldError says which field of a broker configuration breaks which rule.
// It matches ErrInvalid with errors.Is.
type FieldError struct {
	// Field names the setting, e.g. `stream "EVENTS": Replicas`.
	Field string
	// Err is the rule the value breaks, e.g. "must be between 1 and 5".
	Err error
}

func (e *FieldError) Error() string { return "broker: " + e.Field + ": " + e.Err.Error() }

// Unwrap returns ErrInvalid and the rule.
func (e *FieldError) Unwrap() []error { return []error{ErrInvalid, e.Err} }

func fieldErr(field string, err error) error { return &FieldError{Field: field, Err: err} }

// Config is what a Client needs besides its connection. The zero value is
// usable: New fills every empty field with its default, then validates.
type Config struct {
	// SubjectPrefix is the first token of every event subject: an event of
	// type T is stored on "<SubjectPrefix>.<T>". Default "events".
	SubjectPrefix string
	// Timeout bounds a call whose context has no deadline. Default 5s.
	Timeout time.Duration
}

// withDefaults returns c with every empty field set to its default.
func (c Config) withDefaults() Config {
	if c.SubjectPrefix == "" {
		c.SubjectPrefix = DefaultSubjectPrefix
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	return c
}

// Validate reports every field of c that breaks a rule (after defaults: an
// empty SubjectPrefix or a zero Timeout is valid), as *FieldError values
// joined with errors.Join.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if err := CheckSubject(c.SubjectPrefix, false); err != nil {
		errs = append(errs, fieldErr("SubjectPrefix", err))
	}
	if c.Timeout < 0 {
		errs = append(errs, fieldErr("Timeout", fmt.Errorf("must be positive, got %s", c.Timeout)))
	}
	return errors.Join(errs...)
}
