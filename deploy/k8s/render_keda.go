package k8s

import (
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/workers"
	"github.com/fnmesh/fnmesh/workers/kube"
	"github.com/fnmesh/fnmesh/workers/scale"
)

// KEDA names.
const (
	// KEDAAPIVersion is the API version of ScaledObject.
	KEDAAPIVersion = "keda.sh/v1alpha1"
	// KEDATrigger is the KEDA scaler that reads a JetStream consumer's lag.
	KEDATrigger = "nats-jetstream"
	// natsAccount is the account of a NATS server without accounts.
	natsAccount = "$G"
)

// scaledObject scales fn's Deployment with KEDA's nats-jetstream scaler,
// with the thresholds of the mesh file: lag = pending + ack pending of the
// function's durable consumer, one replica per lagThreshold, scaling from
// zero above activationLagThreshold.
func (r *renderer) scaledObject(fn *config.Function) *unstructured.Unstructured {
	s := fn.Scaling
	name := kube.DeploymentName(fn.Name)
	stream := ""
	if st := r.m.StreamFor(fn); st != nil {
		stream = st.Name
	}
	polling := max(seconds(orDefault(s.PollingInterval, scale.DefaultPollingInterval)), 1)
	cooldown := seconds(orDefault(s.CooldownPeriod, scale.DefaultCooldownPeriod))
	lag := s.LagThreshold
	if lag <= 0 {
		lag = scale.DefaultLagThreshold
	}
	maxReplicas := s.MaxReplicaCount
	if maxReplicas <= 0 {
		maxReplicas = max(scale.DefaultMaxReplicaCount, minReplicas(fn))
	}
	meta := r.meta(fn.Name, name)
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": KEDAAPIVersion,
		"kind":       "ScaledObject",
		"metadata": map[string]any{
			"name":        meta.Name,
			"namespace":   meta.Namespace,
			"labels":      stringMap(meta.Labels),
			"annotations": stringMap(meta.Annotations),
		},
		"spec": map[string]any{
			"scaleTargetRef":  map[string]any{"name": name},
			"pollingInterval": polling,
			"cooldownPeriod":  cooldown,
			"minReplicaCount": int64(minReplicas(fn)),
			"maxReplicaCount": int64(maxReplicas),
			"triggers": []any{map[string]any{
				"type": KEDATrigger,
				"metadata": map[string]any{
					"natsServerMonitoringEndpoint": r.o.NATSMonitoringEndpoint,
					"account":                      natsAccount,
					"stream":                       stream,
					"consumer":                     workers.ConsumerName(fn.Name),
					"lagThreshold":                 strconv.Itoa(lag),
					"activationLagThreshold":       strconv.Itoa(s.ActivationLagThreshold),
				},
			}},
		},
	}}
	return u
}

func orDefault(d config.Duration, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d.D()
}

func stringMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
