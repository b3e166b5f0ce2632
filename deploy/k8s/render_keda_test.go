package k8s

import (
	"testing"

	kedav1alpha1 "github.com/kedacore/keda/v2/apis/keda/v1alpha1"

	"github.com/fnmesh/fnmesh/workers/kube"
)

func TestRenderKEDA(t *testing.T) {
	tests := []struct {
		name                        string
		min, max, polling, cooldown int32
		stream, consumer            string
		lag, activation             string
	}{
		{name: "fnmesh-fulfil-order", min: 1, max: 20, polling: 5, cooldown: 120, stream: "EVENTS", consumer: "fulfil-order", lag: "50", activation: "1"},
		{name: "fnmesh-notify", min: 0, max: 10, polling: 1, cooldown: 30, stream: "EVENTS", consumer: "notify", lag: "100", activation: "0"},
		{name: kube.DeploymentName("Audit_Trail"), min: 0, max: 2, polling: 1, cooldown: 30, stream: "AUDIT", consumer: "Audit_Trail", lag: "100", activation: "0"},
	}
	for _, opts := range []struct {
		name string
		o    RenderOptions
		md   map[string]string // trigger metadata besides the function's
		auth bool
	}{
		{name: "defaults", o: RenderOptions{Namespace: "shop", Scaler: ScalerKEDA},
			md: map[string]string{"natsServerMonitoringEndpoint": "nats:8222", "account": "$G"}},
		{name: "account, TLS, endpoint", o: RenderOptions{Namespace: "shop", Scaler: ScalerKEDA, KEDAAccount: "SHOP", KEDAUseHTTPS: true, NATSMonitoringEndpoint: "nats.messaging.svc:8222"},
			md: map[string]string{"natsServerMonitoringEndpoint": "nats.messaging.svc:8222", "account": "SHOP", "useHttps": "true"}},
		{name: "TriggerAuthentication", o: RenderOptions{Namespace: "shop", Scaler: ScalerKEDA, KEDAAuthSecret: "nats-monitoring"},
			md: map[string]string{"account": "$G"}, auth: true},
	} {
		t.Run(opts.name, func(t *testing.T) {
			d := decodeStrict(t, render(t, "shop.mesh.yaml", opts.o))
			if len(d.scaledObjects) != len(tests) {
				t.Fatalf("%d ScaledObjects, want %d", len(d.scaledObjects), len(tests))
			}
			for i, tt := range tests {
				so := d.scaledObjects[i]
				t.Run(tt.name, func(t *testing.T) {
					checks := []struct {
						field     string
						got, want any
					}{
						{"apiVersion", so.APIVersion, "keda.sh/v1alpha1"},
						{"kind", so.Kind, "ScaledObject"},
						{"metadata.name", so.Name, tt.name},
						{"metadata.namespace", so.Namespace, "shop"},
						{"spec.scaleTargetRef", *so.Spec.ScaleTargetRef, kedav1alpha1.ScaleTarget{APIVersion: "apps/v1", Kind: "Deployment", Name: tt.name}},
						{"spec.minReplicaCount", *so.Spec.MinReplicaCount, tt.min},
						{"spec.maxReplicaCount", *so.Spec.MaxReplicaCount, tt.max},
						{"spec.pollingInterval", *so.Spec.PollingInterval, tt.polling},
						{"spec.cooldownPeriod", *so.Spec.CooldownPeriod, tt.cooldown},
					}
					for _, c := range checks {
						if c.got != c.want {
							t.Errorf("%s = %#v, want %#v", c.field, c.got, c.want)
						}
					}
					if len(so.Spec.Triggers) != 1 {
						t.Fatalf("triggers = %+v, want one", so.Spec.Triggers)
					}
					tr := so.Spec.Triggers[0]
					if tr.Type != "nats-jetstream" {
						t.Errorf("trigger type = %v", tr.Type)
					}
					wantMD := map[string]string{"stream": tt.stream, "consumer": tt.consumer, "lagThreshold": tt.lag, "activationLagThreshold": tt.activation}
					for k, v := range opts.md {
						wantMD[k] = v
					}
					if len(tr.Metadata) != len(wantMD) {
						t.Errorf("trigger metadata has %d keys, want %d: %v", len(tr.Metadata), len(wantMD), tr.Metadata)
					}
					for k, v := range wantMD {
						if tr.Metadata[k] != v {
							t.Errorf("trigger metadata %s = %#v, want %#v", k, tr.Metadata[k], v)
						}
					}
					switch ref := tr.AuthenticationRef; {
					case opts.auth && (ref == nil || ref.Name != KEDATriggerAuthentication):
						t.Errorf("authenticationRef = %+v, want %s", ref, KEDATriggerAuthentication)
					case !opts.auth && ref != nil:
						t.Errorf("authenticationRef = %+v, want none", ref)
					}
				})
			}
			if !opts.auth {
				if len(d.triggerAuths) != 0 {
					t.Errorf("%d TriggerAuthentications, want none", len(d.triggerAuths))
				}
				return
			}
			if len(d.triggerAuths) != 1 {
				t.Fatalf("%d TriggerAuthentications, want 1", len(d.triggerAuths))
			}
			ta := d.triggerAuths[0]
			want := []kedav1alpha1.AuthSecretTargetRef{{Parameter: "natsServerMonitoringEndpoint", Name: "nats-monitoring", Key: "natsServerMonitoringEndpoint"}}
			if ta.Name != KEDATriggerAuthentication || ta.Namespace != "shop" || len(ta.Spec.SecretTargetRef) != 1 || ta.Spec.SecretTargetRef[0] != want[0] {
				t.Errorf("TriggerAuthentication %s/%s %+v, want secretTargetRef %+v", ta.Namespace, ta.Name, ta.Spec, want)
			}
		})
	}
}
