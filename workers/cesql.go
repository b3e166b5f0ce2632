package workers

import (
	"errors"
	"fmt"

	"github.com/antlr/antlr4/runtime/Go/antlr"
	cesql "github.com/cloudevents/sdk-go/sql/v2"
	"github.com/cloudevents/sdk-go/sql/v2/gen"
	cesqlparser "github.com/cloudevents/sdk-go/sql/v2/parser"
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
	p.Cesql()
	if len(l.errs) > 0 {
		return nil, errors.New(l.errs[0])
	}
	expr, err = cesqlparser.Parse(src)
	if err == nil && expr == nil {
		err = errors.New("empty")
	}
	return expr, err
}
