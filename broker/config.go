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

// rules collects the rules a configuration breaks.
type rules []error

// check records err, when not nil, as a *FieldError of field.
func (r *rules) check(field string, err error) {
	if err != nil {
		*r = append(*r, fieldErr(field, err))
	}
}

// err joins what was collected (nil when nothing was).
func (r rules) err() error { return errors.Join(r...) }

// Config is what a Client needs besides its connection. The zero value is
// usable: New fills every empty field with its default, then validates.
type Config struct {
	// SubjectPrefix is the first token of every event subject: an event of
	// type T is stored on "<SubjectPrefix>.<T>". Default "events".
	SubjectPrefix string
	// Timeout bounds a call whose context has no deadline. Default 5s.
	Timeout time.Duration
}

// Validate reports every field of c that breaks a rule, as *FieldError
// values joined with errors.Join. An empty field is valid: it stands for
// its default.
func (c Config) Validate() error {
	var r rules
	if c.SubjectPrefix != "" {
		r.check("SubjectPrefix", CheckSubject(c.SubjectPrefix, false))
	}
	if c.Timeout < 0 {
		r.check("Timeout", fmt.Errorf("must be positive, got %s", c.Timeout))
	}
	return r.err()
}
