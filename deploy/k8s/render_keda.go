package k8s

import (
	"strconv"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/workers"
	"github.com/fnmesh/fnmesh/workers/kube"
)

// KEDA names.
const (
	// KEDAAPIVersion is the API version of ScaledObject and
	// TriggerAuthentication.
	KEDAAPIVersion = "keda.sh/v1alpha1"
	// KEDATrigger is the KEDA scaler that reads a JetStream consumer's lag.
	KEDATrigger = "nats-jetstream"
	// KEDATriggerAuthentication names the TriggerAuthentication rendered
	// with RenderOptions.KEDAAuthSecret.
	KEDATriggerAuthentication = "fnmesh-nats-monitoring"
	// keyMonitoringEndpoint is the key of the KEDA auth Secret, and the
	// trigger parameter it fills.
	keyMonitoringEndpoint = "natsServerMonitoringEndpoint"
)

// scaledObject scales fn's Deployment with KEDA's nats-jetstream scaler,
// with the thresholds of the mesh file: lag = pending + ack pending of the
// function's durable consumer, one replica per lagThreshold, scaling from
// zero above activationLagThreshold.
func (r *renderer) scaledObject(fn *config.Function) *unstructured.Unstructured {
	p := meshmap.Params(fn).WithDefaults()
	name := kube.DeploymentName(fn.Name)
	stream := ""
	if st := r.m.StreamFor(fn); st != nil {
		stream = st.Name
	}
	md := map[string]any{
		"account":                r.o.KEDAAccount,
		"stream":                 stream,
		"consumer":               workers.ConsumerName(fn.Name),
		"lagThreshold":           strconv.Itoa(p.LagThreshold),
		"activationLagThreshold": strconv.Itoa(p.Activation),
	}
	if r.o.KEDAUseHTTPS {
		md["useHttps"] = "true"
	}
	trigger := map[string]any{"type": KEDATrigger, "metadata": md}
	if r.o.KEDAAuthSecret != "" {
		trigger["authenticationRef"] = map[string]any{"name": KEDATriggerAuthentication}
	} else {
		md[keyMonitoringEndpoint] = r.o.NATSMonitoringEndpoint
	}
	meta := r.meta(fn.Name, name)
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": KEDAAPIVersion,
		"kind":       "ScaledObject",
		"metadata": map[string]any{
			"name":        meta.Name,
			"namespace":   meta.Namespace,
			"labels":      stringMap(meta.Labels),
			"annotations": stringMap(meta.Annotations),
		},
		"spec": map[string]any{
			"scaleTargetRef":  map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
			"pollingInterval": max(seconds(p.PollingInterval), 1),
			"cooldownPeriod":  seconds(p.Cooldown),
			"minReplicaCount": int64(p.Min),
			"maxReplicaCount": int64(p.Max),
			"triggers":        []any{trigger},
		},
	}}
}

// triggerAuthentication gives KEDA the monitoring endpoint from
// RenderOptions.KEDAAuthSecret, so that an endpoint carrying credentials
// is never written into a ScaledObject.
func (r *renderer) triggerAuthentication() *unstructured.Unstructured {
	meta := r.componentMeta("nats-monitoring")
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": KEDAAPIVersion,
		"kind":       "TriggerAuthentication",
		"metadata": map[string]any{
			"name":      KEDATriggerAuthentication,
			"namespace": meta.Namespace,
			"labels":    stringMap(meta.Labels),
		},
		"spec": map[string]any{
			"secretTargetRef": []any{map[string]any{
				"parameter": keyMonitoringEndpoint, "name": r.o.KEDAAuthSecret, "key": keyMonitoringEndpoint,
			}},
		},
	}}
}

func stringMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
