package cebind

import (
	"reflect"
	"strings"
	"testing"
)

// scanSeeds are batches the one-pass reader must read itself, with every
// kind of member it meets.
var scanSeeds = []string{
	`[{"specversion":"1.0","id":"1","source":"/s","type":"t"}]`,
	" [ {\"specversion\" : \"1.0\" ,\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\", \"data\" : {\"a\": [1, -2.5e+3, true, false, null, \"x\\u00e9\"]}\t}\r\n, {\"specversion\":\"1.0\",\"id\":\"2\",\"source\":\"/s\",\"type\":\"t\"} ] ",
	`[{"specversion":"1.0","id":"a\"b","source":"https://x/y?z#f","type":"t","subject":"s\u00e9","time":"2024-01-02T03:04:05.1Z","dataschema":"https://s/x","ext":42,"flag":true,"neg":-7,"nil":null}]`,
	`[{"specversion":"1.0","id":"1","source":"/s","type":"t","datacontenttype":"text/plain","data":"h\u00e9llo\n"}]`,
	`[{"specversion":"1.0","id":"1","source":"/s","type":"t","data_base64":"AP8="},{"specversion":"1.0","id":"2","source":"/s","type":"t","data_base64":null,"data":0}]`,
	`[{"specversion":"1.0","id":"✓","source":"/s","type":"t","datacontenttype":"application/cloudevents+json; charset=utf-8","data":"x"}]`,
}

// TestReadBatchFast checks that well-formed batches take the one-pass
// path and give the events the general parser gives.
func TestReadBatchFast(t *testing.T) {
	for _, body := range append(scanSeeds, string(benchBatch(3))) {
		fast, ok := readBatchFast([]byte(body))
		if !ok {
			t.Errorf("one-pass reader refused %s", body)
			continue
		}
		slow, err := parseBatchGeneral([]byte(body), Strict)
		if err != nil {
			t.Fatalf("general parser refused %s: %v", body, err)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Errorf("%s:\none pass %v\ngeneral  %v", body, fast, slow)
		}
	}
}

// TestReadBatchFastLeavesErrors checks that bad batches are left to the
// general parser, whose error ParseJSONBatch returns.
func TestReadBatchFastLeavesErrors(t *testing.T) {
	ev := `{"specversion":"1.0","id":"1","source":"/s","type":"t"}`
	for _, c := range []struct{ body, want string }{
		{`[]`, RuleBodyEmptyBatch},
		{`{}`, RuleBodyArray},
		{`[` + ev + `,1]`, "event 1: " + ErrMalformedEvent.Error() + `: attribute "": ` + RuleBodyObject},
		{`[` + ev + `,{"id":"1","id":"2"}]`, `event 1: ` + ErrMalformedEvent.Error() + `: attribute "id": ` + RuleOnce},
		{`[` + ev + `,{"specversion":"1.0","id":"1","source":"/s","type":"t","data":1,"data_base64":"AA=="}]`, RuleDataExclusive},
		{`[` + ev + `,{"specversion":"1.0","id":"\ud800","source":"/s","type":"t"}]`, RuleSurrogate},
		{`[` + ev + `,{"specversion":"1.0","id":"1","source":"/s","type":"t","x":1.5}]`, RuleInteger},
		{`[` + ev + `,{"specversion":"1.0","id":"1","source":"/s","type":"t","d":{}}]`, RuleExtValue},
		{`[` + ev + `,{"specversion":"1.0","id":"1","source":"/s"}]`, `attribute "type": ` + RuleRequired},
		{`[` + ev + `,]`, "must be valid JSON"},
		{`[` + ev + `] x`, "must be valid JSON"},
		{"[" + ev[:len(ev)-1] + ",\"x\":\"\xff\"}]", RuleUTF8},
		{`[` + ev + `,{"specversion":"1.0","id":"1","source":"/s","type":"t","data":01}]`, "must be valid JSON"},
	} {
		if _, ok := readBatchFast([]byte(c.body)); ok {
			t.Errorf("one-pass reader accepted %s", c.body)
		}
		_, err := ParseJSONBatch([]byte(c.body), Strict)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.body, err, c.want)
		}
	}
}

// FuzzParseJSONBatchFast compares the one-pass reader with the general
// parser: whatever it accepts the general parser accepts, with equal
// events.
func FuzzParseJSONBatchFast(f *testing.F) {
	for _, s := range scanSeeds {
		f.Add([]byte(s))
	}
	f.Add([]byte(`[{"specversion":"1.0","id":"1","source":"/s","type":"t","data":[[[[{"a":{"b":[]}}]]]]}]`))
	f.Add([]byte(`[{"specversion":"1.0","i\u0064":"1","source":"/s","type":"t"}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		fast, ok := readBatchFast(body)
		slow, err := parseBatchGeneral(body, Strict)
		if !ok {
			return
		}
		if err != nil {
			t.Fatalf("one-pass reader accepted what the general parser refuses (%v): %q", err, body)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%q:\none pass %v\ngeneral  %v", body, fast, slow)
		}
	})
}
