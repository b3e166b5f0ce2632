package config

// KubernetesFunction is how `fnmesh deploy render` runs a function on
// Kubernetes. The local runtimes (process, docker) ignore it.
type KubernetesFunction struct {
	// Image is the container image of the function's workers on
	// Kubernetes. Required for run.command and run.exec functions, whose
	// programs are local files: for run.command it is the worker program
	// built into an image (deploy/worker.Dockerfile), started with the
	// image's own entrypoint; for run.exec it is an image built FROM the
	// fnmesh image that adds the program and its interpreter (at
	// run.dir relative to /etc/fnmesh, where the mesh file is), started as
	// `fnmesh worker`. For run.http it replaces the fnmesh image. Not
	// allowed with run.image, which is the image already.
	Image string `yaml:"image,omitempty" json:"image,omitempty"`
	// Resources are the worker container's requests and limits. Default:
	// requests cpu 50m, memory 64Mi; limits cpu 1, memory 256Mi.
	Resources *Resources `yaml:"resources,omitempty" json:"resources,omitempty"`
	// SecretEnv sets environment variables of the workers from keys of
	// Kubernetes Secrets in the function's namespace (rendered as
	// secretKeyRef, never as values). A name may not also be in env.
	SecretEnv map[string]SecretKeyRef `yaml:"secretEnv,omitempty" json:"secretEnv,omitempty"`
}

// Resources are the compute resources of a container, as Kubernetes
// quantities ("250m", "1", "128Mi", "1Gi").
type Resources struct {
	// Requests by resource name: cpu, memory or ephemeral-storage.
	Requests map[string]string `yaml:"requests,omitempty" json:"requests,omitempty"`
	// Limits by resource name: cpu, memory or ephemeral-storage.
	Limits map[string]string `yaml:"limits,omitempty" json:"limits,omitempty"`
}

// SecretKeyRef names one key of a Kubernetes Secret.
type SecretKeyRef struct {
	// Name of the Secret.
	Name string `yaml:"name" json:"name"`
	// Key within the Secret.
	Key string `yaml:"key" json:"key"`
}
