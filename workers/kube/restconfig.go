package kube

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/goccy/go-yaml"
)

// RESTConfig is where the API server is and how to authenticate to it: the
// subset of client-go's rest.Config that a pod's service account and a
// plain kubeconfig use.
type RESTConfig struct {
	// Host is the API server's URL (https://host:port).
	Host string
	// CAData is the PEM bundle the server's certificate is checked
	// against; empty uses the system roots.
	CAData []byte
	// Insecure skips the check of the server's certificate.
	Insecure bool
	// BearerToken is sent as "Authorization: Bearer".
	BearerToken string
	// BearerTokenFile, when set, is read for the token and read again
	// every minute (service account tokens rotate).
	BearerTokenFile string
	// CertData and KeyData are a PEM client certificate and key.
	CertData, KeyData []byte
	// UserAgent names the client; default "fnmesh".
	UserAgent string
}

// Paths of a pod's service account, as the kubelet mounts it.
const (
	serviceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount"
)

// InClusterConfig is the config of a pod: the API server from
// KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT, the service
// account's token and CA bundle, as client-go's rest.InClusterConfig.
func InClusterConfig() (*RESTConfig, error) {
	host, port := os.Getenv("KUBERNETES_SERVICE_HOST"), os.Getenv("KUBERNETES_SERVICE_PORT")
	if host == "" || port == "" {
		return nil, errors.New("kubernetes client: not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are unset (pass --kubeconfig)")
	}
	tokenFile := filepath.Join(serviceAccountDir, "token")
	if _, err := os.Stat(tokenFile); err != nil {
		return nil, fmt.Errorf("kubernetes client: service account token: %w", err)
	}
	ca, err := os.ReadFile(filepath.Join(serviceAccountDir, "ca.crt"))
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: service account CA: %w", err)
	}
	return &RESTConfig{Host: "https://" + net.JoinHostPort(host, port), CAData: ca, BearerTokenFile: tokenFile}, nil
}

// kubeconfig is the part of a kubeconfig file LoadKubeconfig reads.
type kubeconfig struct {
	CurrentContext string `yaml:"current-context"`
	Clusters       []struct {
		Name    string `yaml:"name"`
		Cluster struct {
			Server                   string `yaml:"server"`
			CertificateAuthority     string `yaml:"certificate-authority"`
			CertificateAuthorityData string `yaml:"certificate-authority-data"`
			InsecureSkipTLSVerify    bool   `yaml:"insecure-skip-tls-verify"`
		} `yaml:"cluster"`
	} `yaml:"clusters"`
	Contexts []struct {
		Name    string `yaml:"name"`
		Context struct {
			Cluster string `yaml:"cluster"`
			User    string `yaml:"user"`
		} `yaml:"context"`
	} `yaml:"contexts"`
	Users []struct {
		Name string `yaml:"name"`
		User struct {
			Token                 string         `yaml:"token"`
			TokenFile             string         `yaml:"tokenFile"`
			ClientCertificate     string         `yaml:"client-certificate"`
			ClientCertificateData string         `yaml:"client-certificate-data"`
			ClientKey             string         `yaml:"client-key"`
			ClientKeyData         string         `yaml:"client-key-data"`
			Exec                  map[string]any `yaml:"exec"`
			AuthProvider          map[string]any `yaml:"auth-provider"`
		} `yaml:"user"`
	} `yaml:"users"`
}

// LoadKubeconfig reads the current context of a kubeconfig file: its
// cluster's server and CA, and its user's token or client certificate.
// Credential plugins (users[].user.exec, auth-provider) are refused with
// an error naming the field: the scaler runs in the cluster with its
// service account, and a kubeconfig is for trying it from outside.
func LoadKubeconfig(path string) (*RESTConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	return parseKubeconfig(path, data)
}

func parseKubeconfig(path string, data []byte) (*RESTConfig, error) {
	var kc kubeconfig
	if err := yaml.Unmarshal(data, &kc); err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	if kc.CurrentContext == "" {
		return nil, fmt.Errorf("kubeconfig %s: current-context: required", path)
	}
	ci := -1
	for i := range kc.Contexts {
		if kc.Contexts[i].Name == kc.CurrentContext {
			ci = i
		}
	}
	if ci < 0 {
		return nil, fmt.Errorf("kubeconfig %s: current-context %q: no such context in contexts", path, kc.CurrentContext)
	}
	ctx := kc.Contexts[ci].Context
	dir := filepath.Dir(path)
	rel := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	cfg := &RESTConfig{}
	var err error
	found := false
	for _, c := range kc.Clusters {
		if c.Name != ctx.Cluster {
			continue
		}
		found = true
		cfg.Host, cfg.Insecure = c.Cluster.Server, c.Cluster.InsecureSkipTLSVerify
		if cfg.CAData, err = dataOrFile(c.Cluster.CertificateAuthorityData, rel(c.Cluster.CertificateAuthority)); err != nil {
			return nil, fmt.Errorf("kubeconfig %s: clusters[%s].cluster.certificate-authority: %w", path, c.Name, err)
		}
	}
	if !found {
		return nil, fmt.Errorf("kubeconfig %s: contexts[%s].context.cluster %q: no such cluster", path, kc.CurrentContext, ctx.Cluster)
	}
	if cfg.Host == "" {
		return nil, fmt.Errorf("kubeconfig %s: clusters[%s].cluster.server: required", path, ctx.Cluster)
	}
	for _, u := range kc.Users {
		if u.Name != ctx.User {
			continue
		}
		switch {
		case u.User.Exec != nil:
			return nil, fmt.Errorf("kubeconfig %s: users[%s].user.exec: credential plugins are not supported; use a token or client certificate, or run in the cluster", path, u.Name)
		case u.User.AuthProvider != nil:
			return nil, fmt.Errorf("kubeconfig %s: users[%s].user.auth-provider: not supported; use a token or client certificate, or run in the cluster", path, u.Name)
		}
		cfg.BearerToken, cfg.BearerTokenFile = u.User.Token, rel(u.User.TokenFile)
		if cfg.CertData, err = dataOrFile(u.User.ClientCertificateData, rel(u.User.ClientCertificate)); err != nil {
			return nil, fmt.Errorf("kubeconfig %s: users[%s].user.client-certificate: %w", path, u.Name, err)
		}
		if cfg.KeyData, err = dataOrFile(u.User.ClientKeyData, rel(u.User.ClientKey)); err != nil {
			return nil, fmt.Errorf("kubeconfig %s: users[%s].user.client-key: %w", path, u.Name, err)
		}
	}
	return cfg, nil
}

// dataOrFile is base64 data when set, else the file's content ("" reads
// nothing).
func dataOrFile(b64, file string) ([]byte, error) {
	if b64 != "" {
		b, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return nil, fmt.Errorf("data: %w", err)
		}
		return b, nil
	}
	if file == "" {
		return nil, nil
	}
	return os.ReadFile(file)
}

// httpClient is the authenticated client of cfg.
func (cfg *RESTConfig) httpClient() (*http.Client, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.Insecure} //nolint:gosec // the kubeconfig's own choice
	if len(cfg.CAData) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(cfg.CAData) {
			return nil, errors.New("kubernetes client: CA bundle: no PEM certificate in it")
		}
		tc.RootCAs = pool
	}
	if len(cfg.CertData) > 0 || len(cfg.KeyData) > 0 {
		cert, err := tls.X509KeyPair(cfg.CertData, cfg.KeyData)
		if err != nil {
			return nil, fmt.Errorf("kubernetes client: client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tc
	var rt http.RoundTripper = tr
	if cfg.BearerToken != "" || cfg.BearerTokenFile != "" {
		rt = &bearer{next: tr, token: cfg.BearerToken, file: cfg.BearerTokenFile}
	}
	return &http.Client{Transport: rt, Timeout: 30 * time.Second}, nil
}

// bearer adds the token, re-reading its file every minute as client-go's
// cached token source does.
type bearer struct {
	next  http.RoundTripper
	file  string
	mu    sync.Mutex
	token string
	read  time.Time
}

func (b *bearer) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, err := b.get()
	if err != nil {
		return nil, err
	}
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+tok)
	return b.next.RoundTrip(req)
}

func (b *bearer) get() (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.file == "" || (b.token != "" && time.Since(b.read) < time.Minute) {
		return b.token, nil
	}
	data, err := os.ReadFile(b.file)
	if err != nil {
		if b.token != "" {
			return b.token, nil // keep the last one until the file is back
		}
		return "", fmt.Errorf("kubernetes client: token file: %w", err)
	}
	b.token, b.read = strings.TrimSpace(string(data)), time.Now()
	return b.token, nil
}
