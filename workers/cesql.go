package workers

import (
	"errors"
	"fmt"
	"strings"

	"github.com/antlr/antlr4/runtime/Go/antlr"
	cesql "github.com/cloudevents/sdk-go/sql/v2"
	"github.com/cloudevents/sdk-go/sql/v2/gen"
	cesqlparser "github.com/cloudevents/sdk-go/sql/v2/parser"
	cesqlruntime "github.com/cloudevents/sdk-go/sql/v2/runtime"
)

// cesqlListener collects syntax errors from the CESQL lexer and parser.
type cesqlListener struct {
	*antlr.DefaultErrorListener
	errs []string
}

// SyntaxError records one error with its column.
func (l *cesqlListener) SyntaxError(_ antlr.Recognizer, _ any, _, column int, msg string, _ antlr.RecognitionException) {
	l.errs = append(l.errs, fmt.Sprintf("column %d: %s", column+1, msg))
}

// checkFunctions reports the first function call of tree that the CESQL
// runtime cannot resolve (an unknown name, or a known one with another
// number of arguments), with its column.
func checkFunctions(tree antlr.Tree) error {
	stack := []antlr.Tree{tree}
	for len(stack) > 0 {
		t := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if t == nil {
			continue
		}
		if call, ok := t.(*gen.FunctionInvocationExpressionContext); ok {
			name := strings.ToUpper(call.FunctionIdentifier().GetText())
			args := 0
			if pl, ok := call.FunctionParameterList().(*gen.FunctionParameterListContext); ok {
				args = len(pl.AllExpression())
			}
			if cesqlruntime.ResolveFunction(name, args) == nil {
				return fmt.Errorf("column %d: unknown function %s with %d argument(s)", call.GetStart().GetColumn()+1, name, args)
			}
		}
		children := t.GetChildren()
		for i := len(children) - 1; i >= 0; i-- {
			stack = append(stack, children[i])
		}
	}
	return nil
}

// parseCESQL parses a CloudEvents SQL expression.
//
// The syntax is checked first with an error listener of our own: the SDK's
// parser.Parse prints lexer errors to stderr and dereferences a nil
// exception for some syntax errors. Only an expression that parses is then
// handed to parser.Parse for its semantic checks; a panic there (it is
// generated code) is still turned into an error.
func parseCESQL(src string) (expr cesql.Expression, err error) {
	defer func() {
		if r := recover(); r != nil {
			expr, err = nil, fmt.Errorf("parser failed: %v", r)
		}
	}()
	l := &cesqlListener{DefaultErrorListener: antlr.NewDefaultErrorListener()}
	lexer := gen.NewCESQLParserLexer(cesqlparser.NewCaseChangingStream(antlr.NewInputStream(src), true))
	lexer.RemoveErrorListeners()
	lexer.AddErrorListener(l)
	p := gen.NewCESQLParserParser(antlr.NewCommonTokenStream(lexer, antlr.TokenDefaultChannel))
	p.RemoveErrorListeners()
	p.AddErrorListener(l)
	tree := p.Cesql()
	if len(l.errs) > 0 {
		return nil, errors.New(l.errs[0])
	}
	// The SDK resolves function names only when an expression is
	// evaluated, so an unknown one would fail on every event: resolve
	// them here against the SDK's own function table.
	if err := checkFunctions(tree); err != nil {
		return nil, err
	}
	expr, err = cesqlparser.Parse(src)
	if err == nil && expr == nil {
		err = errors.New("empty")
	}
	return expr, err
}
