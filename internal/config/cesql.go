package config

import (
	"errors"
	"fmt"

	"github.com/antlr/antlr4/runtime/Go/antlr"
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

// checkCESQL reports why expr is not a CloudEvents SQL expression.
//
// The syntax is checked first with an error listener of our own: the SDK's
// parser.Parse prints lexer errors to stderr and dereferences a nil
// exception for some syntax errors. Only an expression that parses is then
// handed to parser.Parse for its semantic checks; a panic there is still
// turned into an error.
func checkCESQL(expr string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("parser failed: %v", r)
		}
	}()
	l := &cesqlListener{DefaultErrorListener: antlr.NewDefaultErrorListener()}
	lexer := gen.NewCESQLParserLexer(cesqlparser.NewCaseChangingStream(antlr.NewInputStream(expr), true))
	lexer.RemoveErrorListeners()
	lexer.AddErrorListener(l)
	p := gen.NewCESQLParserParser(antlr.NewCommonTokenStream(lexer, antlr.TokenDefaultChannel))
	p.RemoveErrorListeners()
	p.AddErrorListener(l)
	p.Cesql()
	if len(l.errs) > 0 {
		return errors.New(l.errs[0])
	}
	_, err = cesqlparser.Parse(expr)
	return err
}
