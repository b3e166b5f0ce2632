package workers

import (
	"fmt"
	"strings"

	cesql "github.com/cloudevents/sdk-go/sql/v2"
	"github.com/cloudevents/sdk-go/v2/event"
)

// node is one compiled filter.
type node interface {
	match(e *event.Event) (bool, error)
}

type (
	allNode []node
	anyNode []node
	notNode struct{ n node }
)

func (a allNode) match(e *event.Event) (bool, error) {
	for _, n := range a {
		if ok, err := n.match(e); !ok {
			return false, err
		}
	}
	return true, nil
}

func (a anyNode) match(e *event.Event) (bool, error) {
	var first error
	for _, n := range a {
		ok, err := n.match(e)
		if ok {
			return true, nil
		}
		if first == nil {
			first = err
		}
	}
	return false, first
}

func (n notNode) match(e *event.Event) (bool, error) {
	ok, err := n.n.match(e)
	return !ok, err
}

// attrOp is the comparison of an exact, prefix or suffix filter.
type attrOp uint8

const (
	opExact attrOp = iota
	opPrefix
	opSuffix
)

type attrTest struct{ name, want string }

type attrNode struct {
	op    attrOp
	tests []attrTest
}

func (a attrNode) match(e *event.Event) (bool, error) {
	for _, t := range a.tests {
		got, ok := attributeValue(e, t.name)
		if !ok {
			return false, nil
		}
		switch a.op {
		case opExact:
			ok = got == t.want
		case opPrefix:
			ok = strings.HasPrefix(got, t.want)
		case opSuffix:
			ok = strings.HasSuffix(got, t.want)
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

type cesqlNode struct {
	src  string
	expr cesql.Expression
}

func (c cesqlNode) match(e *event.Event) (matched bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			matched, err = false, fmt.Errorf("cesql %q: evaluation failed: %v", c.src, r)
		}
	}()
	v, err := c.expr.Evaluate(*e)
	if err != nil {
		return false, fmt.Errorf("cesql %q: %w", c.src, err)
	}
	switch v := v.(type) {
	case bool:
		return v, nil
	case int32:
		return v != 0, nil
	case string:
		switch strings.ToLower(v) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	}
	return false, fmt.Errorf("cesql %q: result %v (%T) is not a Boolean", c.src, v, v)
}
