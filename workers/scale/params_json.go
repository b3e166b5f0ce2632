package scale

import (
	"encoding/json"
	"fmt"
	"time"
)

// paramsJSON is Params as JSON: durations as Go duration strings ("30s").
type paramsJSON struct {
	Min             int             `json:"min"`
	Max             int             `json:"max"`
	LagThreshold    int             `json:"lagThreshold"`
	Activation      int             `json:"activation"`
	Cooldown        json.RawMessage `json:"cooldown"`
	PollingInterval json.RawMessage `json:"pollingInterval"`
	Cap             int             `json:"cap,omitempty"`
}

// MarshalJSON writes the durations as strings ("30s"), as every JSON
// output of fnmesh does.
func (p Params) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Min             int    `json:"min"`
		Max             int    `json:"max"`
		LagThreshold    int    `json:"lagThreshold"`
		Activation      int    `json:"activation"`
		Cooldown        string `json:"cooldown"`
		PollingInterval string `json:"pollingInterval"`
		Cap             int    `json:"cap,omitempty"`
	}{p.Min, p.Max, p.LagThreshold, p.Activation, p.Cooldown.String(), p.PollingInterval.String(), p.Cap})
}

// UnmarshalJSON reads what MarshalJSON writes; a duration given as a
// number of nanoseconds (older answers) is accepted too.
func (p *Params) UnmarshalJSON(b []byte) error {
	var j paramsJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	cool, err := jsonDuration("cooldown", j.Cooldown)
	if err != nil {
		return err
	}
	poll, err := jsonDuration("pollingInterval", j.PollingInterval)
	if err != nil {
		return err
	}
	*p = Params{Min: j.Min, Max: j.Max, LagThreshold: j.LagThreshold, Activation: j.Activation, Cooldown: cool, PollingInterval: poll, Cap: j.Cap}
	return nil
}

func jsonDuration(name string, raw json.RawMessage) (time.Duration, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
		return d, nil
	}
	var n int64
	if err := json.Unmarshal(raw, &n); err != nil {
		return 0, fmt.Errorf("%s: must be a duration string or nanoseconds: %w", name, err)
	}
	return time.Duration(n), nil
}
