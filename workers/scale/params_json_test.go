package scale

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// Durations in the status JSON are strings ("30s"), and read back.
func TestParamsJSONDurationsAreStrings(t *testing.T) {
	p := Params{Max: 3, LagThreshold: 10, Cooldown: 30 * time.Second, PollingInterval: 1500 * time.Millisecond}
	b, err := json.Marshal(Decision{Params: p})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"cooldown":"30s","pollingInterval":"1.5s"`) {
		t.Errorf("JSON %s: want durations as strings", b)
	}
	var back Decision
	if err := json.Unmarshal(b, &back); err != nil || back.Params != p {
		t.Errorf("read back %+v, %v; want %+v", back.Params, err, p)
	}
	var old Params
	if err := json.Unmarshal([]byte(`{"cooldown":30000000000}`), &old); err != nil || old.Cooldown != 30*time.Second {
		t.Errorf("nanoseconds: %+v, %v", old, err)
	}
}
