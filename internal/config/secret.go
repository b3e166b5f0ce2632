package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
)

// ErrSecretNotFound is wrapped when the environment variable or file a
// SecretRef points at does not exist.
var ErrSecretNotFound = errors.New("secret not found")

// Resolve returns the secret: the value of the environment variable, the
// content of the file with trailing newlines trimmed, or the inline value.
// A missing variable or file is an error naming it and wrapping
// ErrSecretNotFound; an empty secret is an error too.
func (r SecretRef) Resolve() ([]byte, error) {
	var (
		secret []byte
		what   string
	)
	switch {
	case r.Env != "" && r.File == "" && r.Value == "":
		what = "env " + r.Env
		v, ok := os.LookupEnv(r.Env)
		if !ok {
			return nil, fmt.Errorf("secret %s: variable not set: %w", what, ErrSecretNotFound)
		}
		secret = []byte(v)
	case r.File != "" && r.Env == "" && r.Value == "":
		what = "file " + r.File
		b, err := os.ReadFile(r.File)
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("secret %s: %w: %w", what, ErrSecretNotFound, err)
		}
		if err != nil {
			return nil, fmt.Errorf("secret %s: %w", what, err)
		}
		secret = bytes.TrimRight(b, "\r\n")
	case r.Value != "" && r.Env == "" && r.File == "":
		return []byte(r.Value), nil
	default:
		return nil, fmt.Errorf("secret: exactly one of env, file or value must be set: %w", ErrInvalid)
	}
	if len(secret) == 0 {
		return nil, fmt.Errorf("secret %s: is empty", what)
	}
	return secret, nil
}
