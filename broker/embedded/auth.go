package embedded

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// CredentialsFile is the file of a data directory that holds the
// credentials of its server (DataDirCredentials), mode 0600.
const CredentialsFile = "nats-credentials.json"

// DefaultUser is the user DataDirCredentials generates.
const DefaultUser = "fnmesh"

// passwordBytes is the entropy of a generated password (256 bits).
const passwordBytes = 32

// Credentials are the user and password every client of the server must
// present (Config.Auth). Workers get them as NATS_USER and NATS_PASSWORD,
// the nats CLI in a context.
type Credentials struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

// ErrInsecureCredentials means a credentials file can be read by users
// other than its owner.
var ErrInsecureCredentials = errors.New("credentials file readable by others")

// Options are the nats.go options that authenticate with c.
func (c Credentials) Options() []nats.Option {
	return []nats.Option{nats.UserInfo(c.User, c.Password)}
}

// validate reports an empty user or password.
func (c Credentials) validate() error {
	if c.User == "" || c.Password == "" {
		return errors.New("user and password must both be set")
	}
	return nil
}

// DataDirCredentials returns the credentials of the server whose data lives
// in dir: the ones stored in dir/CredentialsFile, or, the first time, new
// ones (user DefaultUser, a random 256-bit password) stored there with mode
// 0600, so that every restart on the same data directory, its workers and
// the nats CLI keep working with them. A stored file that others may read
// is refused (ErrInsecureCredentials): the secret may have leaked, delete
// the file to get new credentials.
func DataDirCredentials(dir string) (Credentials, error) {
	c, err := ReadCredentials(dir)
	if !errors.Is(err, fs.ErrNotExist) {
		return c, err
	}
	b := make([]byte, passwordBytes)
	if _, err := rand.Read(b); err != nil {
		return Credentials{}, fmt.Errorf("embedded server: generate credentials: %w", err)
	}
	c = Credentials{User: DefaultUser, Password: base64.RawURLEncoding.EncodeToString(b)}
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return Credentials{}, fmt.Errorf("embedded server: credentials: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Credentials{}, fmt.Errorf("embedded server: credentials: %w", err)
	}
	path := filepath.Join(dir, CredentialsFile)
	// O_EXCL: two processes starting on one data directory at once keep
	// the credentials of the first.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return ReadCredentials(dir)
	}
	if err != nil {
		return Credentials{}, fmt.Errorf("embedded server: credentials: %w", err)
	}
	if _, err := f.Write(append(data, '\n')); err != nil {
		f.Close()
		os.Remove(path)
		return Credentials{}, fmt.Errorf("embedded server: credentials %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return Credentials{}, fmt.Errorf("embedded server: credentials %s: %w", path, err)
	}
	return c, nil
}

// ReadCredentials reads the credentials stored in dir/CredentialsFile. It
// fails with an error wrapping fs.ErrNotExist when there are none, and
// with ErrInsecureCredentials when group or others may read the file.
func ReadCredentials(dir string) (Credentials, error) {
	path := filepath.Join(dir, CredentialsFile)
	fi, err := os.Stat(path)
	if err != nil {
		return Credentials{}, fmt.Errorf("embedded server: credentials: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return Credentials{}, fmt.Errorf("embedded server: credentials %s: mode %04o: %w; delete it to generate new ones",
			path, fi.Mode().Perm(), ErrInsecureCredentials)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return Credentials{}, fmt.Errorf("embedded server: credentials: %w", err)
	}
	var c Credentials
	if err := json.Unmarshal(data, &c); err != nil {
		return Credentials{}, fmt.Errorf("embedded server: credentials %s: %w", path, err)
	}
	if err := c.validate(); err != nil {
		return Credentials{}, fmt.Errorf("embedded server: credentials %s: %w", path, err)
	}
	return c, nil
}

// isLoopback reports whether host listens on the loopback interface only.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkSecurity reports what Config's Auth and TLS settings break: a
// listener beyond loopback without Auth, half a TLS pair, or an unusable
// user or password.
func (c Config) checkSecurity() []error {
	var errs []error
	if c.Auth != nil {
		if err := c.Auth.validate(); err != nil {
			errs = append(errs, fmt.Errorf("embedded server: Auth: %w", err))
		}
	} else if host := c.Host; host != "" && !isLoopback(host) {
		errs = append(errs, fmt.Errorf("embedded server: Host %q: listening beyond loopback requires Auth", host))
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("embedded server: TLSCert and TLSKey: set both or neither"))
	}
	return errs
}

// secure applies Config's Auth and TLS settings to opts.
func (c Config) secure(opts *server.Options) error {
	if c.Auth != nil {
		opts.Users = []*server.User{{Username: c.Auth.User, Password: c.Auth.Password}}
	}
	if c.TLSCert != "" {
		tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: c.TLSCert, KeyFile: c.TLSKey})
		if err != nil {
			return fmt.Errorf("embedded server: TLSCert, TLSKey: %w", err)
		}
		opts.TLSConfig, opts.TLS = tc, true
		opts.TLSTimeout = 2
	}
	return nil
}
