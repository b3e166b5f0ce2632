package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/fnmesh/fnmesh/internal/history"
)

func funcMap(traceURL string) template.FuncMap {
	return template.FuncMap{
		"clock": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.Local().Format("2006-01-02 15:04:05.000")
		},
		"ago": func(t time.Time) string { return ago(time.Since(t)) },
		"until": func(t time.Time) string {
			d := time.Until(t)
			if d < 0 {
				return "now"
			}
			return "in " + roundDur(d)
		},
		"dur":     func(d history.Duration) string { return roundDur(d.D()) },
		"percent": func(f float64) string { return fmt.Sprintf("%.1f%%", f*100) },
		"rate":    func(f float64) string { return fmt.Sprintf("%.2f/s", f) },
		"short": func(s string, n int) string {
			if len(s) <= n {
				return s
			}
			return s[:n] + "…"
		},
		"traceURL": func(id string) string { return traceLink(traceURL, id) },
		"pathEsc":  url.PathEscape,
		"join":     strings.Join,
		"outcomeClass": func(o string) string {
			switch o {
			case "ok":
				return "ok"
			case "retry":
				return "warn"
			default:
				return "bad"
			}
		},
		"add": func(a, b int64) int64 { return a + b },
	}
}

// traceLink is the trace UI's URL of id, "" without a template or id.
func traceLink(tmpl, id string) string {
	if tmpl == "" || id == "" {
		return ""
	}
	if strings.Contains(tmpl, TraceIDPlaceholder) {
		return strings.ReplaceAll(tmpl, TraceIDPlaceholder, url.PathEscape(id))
	}
	return tmpl + url.PathEscape(id)
}

func roundDur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(100 * time.Microsecond).String()
	case d < time.Minute:
		return d.Round(10 * time.Millisecond).String()
	case d < time.Hour:
		return d.Round(time.Second).String()
	default:
		return strings.TrimSuffix(d.Round(time.Minute).String(), "0s")
	}
}

func ago(d time.Duration) string {
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	default:
		return fmt.Sprintf("%dd ago", int(d.Hours()/24))
	}
}

// attr is one attribute of an event, for display.
type attr struct{ Name, Value string }

// shownEvent is a CloudEvent in its JSON format split for display: the
// attributes in spec order then the extensions, and the data pretty.
type shownEvent struct {
	ID, Type, Source string
	Attrs            []attr
	Data             string
	// Compact is the data on one line (JSON compacted), for previews.
	Compact string
	// Binary is true when the data is base64 (data_base64).
	Binary bool
}

var specOrder = []string{"specversion", "id", "source", "type", "subject", "time", "datacontenttype", "dataschema"}

func showEvent(raw json.RawMessage) shownEvent {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return shownEvent{Data: string(raw)}
	}
	str := func(k string) string {
		var s string
		if json.Unmarshal(m[k], &s) != nil {
			return strings.Trim(string(m[k]), `"`)
		}
		return s
	}
	se := shownEvent{ID: str("id"), Type: str("type"), Source: str("source")}
	seen := map[string]bool{"data": true, "data_base64": true}
	for _, k := range specOrder {
		if _, ok := m[k]; ok {
			se.Attrs = append(se.Attrs, attr{k, str(k)})
			seen[k] = true
		}
	}
	var ext []string
	for k := range m {
		if !seen[k] {
			ext = append(ext, k)
		}
	}
	slices.Sort(ext)
	for _, k := range ext {
		se.Attrs = append(se.Attrs, attr{k, str(k)})
	}
	if d, ok := m["data"]; ok {
		var pretty bytes.Buffer
		if json.Indent(&pretty, d, "", "  ") == nil {
			se.Data = pretty.String()
		} else {
			se.Data = string(d)
		}
		// A JSON string holding text is shown as the text.
		var compact bytes.Buffer
		if json.Compact(&compact, d) == nil {
			se.Compact = compact.String()
		}
		var s string
		if json.Unmarshal(d, &s) == nil {
			se.Data, se.Compact = s, s
		}
	} else if _, ok := m["data_base64"]; ok {
		se.Data, se.Binary = str("data_base64"), true
		se.Compact = se.Data
	}
	return se
}
