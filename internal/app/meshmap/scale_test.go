package meshmap_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/workers/scale"
)

// TestWithSecretsResolvesEachFunctionsOwn: a workload gets the secrets its
// function names (from the environment, or a file relative to the mesh
// file), and no other function's; an unresolvable one names the function
// and the variable.
func TestWithSecretsResolvesEachFunctionsOwn(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "api-key"), []byte("key-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("FNMESH_TEST_STRIPE", "stripe-from-env")
	file := filepath.Join(dir, "mesh.yaml")
	if err := os.WriteFile(file, []byte(`apiVersion: fnmesh.dev/v1alpha1
kind: Mesh
functions:
  - name: pay
    run: { command: [/bin/true] }
    secretEnv:
      STRIPE_KEY: { env: FNMESH_TEST_STRIPE }
      API_KEY: { file: api-key }
  - name: mail
    run: { command: [/bin/true] }
    env: { FROM: shop }
`), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := meshmap.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	fns, err := meshmap.FunctionsOn(m, scale.RuntimeProcess).WithSecrets(m)
	if err != nil {
		t.Fatal(err)
	}
	pay, mail := fns.Workloads[0], fns.Workloads[1]
	if pay.SecretEnv["STRIPE_KEY"] != "stripe-from-env" || pay.SecretEnv["API_KEY"] != "key-from-file" || len(pay.SecretEnv) != 2 {
		t.Errorf("pay: SecretEnv %v", pay.SecretEnv)
	}
	if len(mail.SecretEnv) != 0 || mail.Env["FROM"] != "shop" {
		t.Errorf("mail: SecretEnv %v, Env %v; want its env only", mail.SecretEnv, mail.Env)
	}

	m.Functions[0].SecretEnv["MISSING"] = config.SecretRef{Env: "FNMESH_TEST_UNSET_SECRET"}
	_, err = meshmap.FunctionsOn(m, scale.RuntimeProcess).WithSecrets(m)
	if !errors.Is(err, config.ErrSecretNotFound) || !strings.Contains(err.Error(), "pay: secretEnv.MISSING") {
		t.Fatalf("unresolvable secret: %v, want ErrSecretNotFound naming pay and MISSING", err)
	}
}
