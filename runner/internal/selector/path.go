package selector

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/wasmap/wasmap/runner/internal/jsonx"
)

// stepKind is the kind of one segment of a JSONPath.
type stepKind uint8

const (
	stepName     stepKind = iota // .name, ['name'], ["name"]
	stepIndex                    // [n], [-n]
	stepWildcard                 // .*, [*]
	stepSlice                    // [start:end]
	stepIndexes                  // [i,j,…]
	stepFilter                   // [?(…)]
	stepDescent                  // .. (applies the next step at every level)
)

type step struct {
	kind       stepKind
	name       string
	index      int
	indexes    []int
	start, end int
	hasStart   bool
	hasEnd     bool
	filter     expr
}

// jsonPath is a parsed path: "$" followed by steps.
type jsonPath struct {
	steps    []step
	definite bool // only names and single indexes: selects at most one node
}

// pathError is a syntax error in a JSONPath, or a construct that is refused.
type pathError struct {
	offset int
	msg    string
}

func (e *pathError) Error() string {
	if e.offset < 0 {
		return e.msg
	}
	return fmt.Sprintf("%s at offset %d", e.msg, e.offset)
}

// parsePath parses s, which must start with "$". The grammar is the Jayway JsonPath subset
// that Step Functions evaluates in Parameters/ItemSelector (see the package notes).
func parsePath(s string) (*jsonPath, error) {
	p := &pathParser{s: s}
	if !strings.HasPrefix(s, "$") {
		return nil, &pathError{0, "a path must start with \"$\""}
	}
	p.i = 1
	steps, err := p.segments(false)
	if err != nil {
		return nil, err
	}
	jp := &jsonPath{steps: steps, definite: isDefinite(steps)}
	return jp, nil
}

func isDefinite(steps []step) bool {
	for _, st := range steps {
		if st.kind != stepName && st.kind != stepIndex {
			return false
		}
	}
	return true
}

type pathParser struct {
	s string
	i int
}

func (p *pathParser) errf(format string, args ...any) error {
	return &pathError{p.i, fmt.Sprintf(format, args...)}
}

func (p *pathParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

// segments parses steps until the end of the string or, inside a filter (inFilter), until a
// character that cannot continue a path. Inside a filter only names and single indexes are
// allowed.
func (p *pathParser) segments(inFilter bool) ([]step, error) {
	var steps []step
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case '.':
			p.i++
			if p.peek() == '.' {
				if inFilter {
					return nil, p.errf("deep scan \"..\" is not supported inside a filter")
				}
				p.i++
				steps = append(steps, step{kind: stepDescent})
				if p.i >= len(p.s) {
					return nil, p.errf("a path cannot end with \"..\"")
				}
			}
			switch p.peek() {
			case '[':
				st, err := p.bracket(inFilter)
				if err != nil {
					return nil, err
				}
				steps = append(steps, st)
			case '*':
				if inFilter {
					return nil, p.errf("a wildcard is not supported inside a filter")
				}
				p.i++
				steps = append(steps, step{kind: stepWildcard})
			default:
				name, err := p.name()
				if err != nil {
					return nil, err
				}
				steps = append(steps, step{kind: stepName, name: name})
			}
		case '[':
			st, err := p.bracket(inFilter)
			if err != nil {
				return nil, err
			}
			steps = append(steps, st)
		default:
			if inFilter {
				return steps, nil
			}
			return nil, p.errf("unexpected %q", p.s[p.i])
		}
	}
	return steps, nil
}

// name reads a dot-notation member name.
func (p *pathParser) name() (string, error) {
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '.' || c == '[' {
			break
		}
		switch c {
		case '(':
			return "", p.errf("functions such as length() are not supported")
		case ')', ' ', '\t', '\n', '\r', '\'', '"', ']', '?', '@', ',', '*', '=', '!', '<', '>', '&', '|':
			// Inside a filter these end the operand; elsewhere they need bracket notation.
			if start == p.i {
				return "", p.errf("missing member name")
			}
			return p.s[start:p.i], nil
		}
		p.i++
	}
	if start == p.i {
		return "", p.errf("missing member name")
	}
	return p.s[start:p.i], nil
}

// bracket parses "[…]" at p.i.
func (p *pathParser) bracket(inFilter bool) (step, error) {
	p.i++ // '['
	p.spaces()
	var st step
	switch c := p.peek(); {
	case c == '*':
		if inFilter {
			return st, p.errf("a wildcard is not supported inside a filter")
		}
		p.i++
		st = step{kind: stepWildcard}
	case c == '\'' || c == '"':
		name, err := p.quoted()
		if err != nil {
			return st, err
		}
		p.spaces()
		if p.peek() == ',' {
			return st, p.errf("a union of member names ['a','b'] is not supported")
		}
		st = step{kind: stepName, name: name}
	case c == '?':
		if inFilter {
			return st, p.errf("nested filters are not supported")
		}
		p.i++
		p.spaces()
		if p.peek() != '(' {
			return st, p.errf("expected \"(\" after \"?\"")
		}
		p.i++
		e, err := p.orExpr()
		if err != nil {
			return st, err
		}
		p.spaces()
		if p.peek() != ')' {
			return st, p.errf("expected \")\" to close the filter")
		}
		p.i++
		st = step{kind: stepFilter, filter: e}
	case c == '(':
		return st, p.errf("script expressions [(…)] are not supported")
	case c == '-' || c == ':' || c >= '0' && c <= '9':
		var err error
		st, err = p.indexes(inFilter)
		if err != nil {
			return st, err
		}
	case c == 0:
		return st, p.errf("unexpected end of path")
	default:
		return st, p.errf("unexpected %q in brackets", c)
	}
	p.spaces()
	if p.peek() != ']' {
		if p.i >= len(p.s) {
			return st, p.errf("missing \"]\"")
		}
		return st, p.errf("expected \"]\", found %q", p.s[p.i])
	}
	p.i++
	return st, nil
}

func (p *pathParser) spaces() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

// quoted reads a '…' or "…" string with \-escapes.
func (p *pathParser) quoted() (string, error) {
	q := p.s[p.i]
	p.i++
	var sb strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == q:
			p.i++
			return sb.String(), nil
		case c == '\\' && p.i+1 < len(p.s):
			p.i++
			switch e := p.s[p.i]; e {
			case 'n':
				sb.WriteByte('\n')
			case 't':
				sb.WriteByte('\t')
			case 'r':
				sb.WriteByte('\r')
			default:
				sb.WriteByte(e)
			}
		default:
			sb.WriteByte(c)
		}
		p.i++
	}
	return "", p.errf("unterminated string")
}

// int reads an optionally negative integer, if one is there.
func (p *pathParser) int() (int, bool, error) {
	start := p.i
	if p.peek() == '-' {
		p.i++
	}
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	if p.i == start {
		return 0, false, nil
	}
	n, err := strconv.Atoi(p.s[start:p.i])
	if err != nil {
		p.i = start
		return 0, false, p.errf("invalid index %q", p.s[start:p.i])
	}
	return n, true, nil
}

// indexes parses [n], [a:b] or [i,j,…].
func (p *pathParser) indexes(inFilter bool) (step, error) {
	first, ok, err := p.int()
	if err != nil {
		return step{}, err
	}
	p.spaces()
	switch p.peek() {
	case ':':
		if inFilter {
			return step{}, p.errf("a slice is not supported inside a filter")
		}
		p.i++
		p.spaces()
		end, hasEnd, err := p.int()
		if err != nil {
			return step{}, err
		}
		p.spaces()
		if p.peek() == ':' {
			return step{}, p.errf("a slice step [a:b:c] is not supported")
		}
		return step{kind: stepSlice, start: first, hasStart: ok, end: end, hasEnd: hasEnd}, nil
	case ',':
		if !ok {
			return step{}, p.errf("missing index")
		}
		if inFilter {
			return step{}, p.errf("a union of indexes is not supported inside a filter")
		}
		list := []int{first}
		for p.peek() == ',' {
			p.i++
			p.spaces()
			n, ok, err := p.int()
			if err != nil {
				return step{}, err
			}
			if !ok {
				return step{}, p.errf("missing index")
			}
			list = append(list, n)
			p.spaces()
		}
		return step{kind: stepIndexes, indexes: list}, nil
	}
	if !ok {
		return step{}, p.errf("missing index")
	}
	return step{kind: stepIndex, index: first}, nil
}

// Filter expressions.

func (p *pathParser) orExpr() (expr, error) {
	left, err := p.andExpr()
	if err != nil {
		return nil, err
	}
	for {
		p.spaces()
		if !strings.HasPrefix(p.s[p.i:], "||") {
			return left, nil
		}
		p.i += 2
		right, err := p.andExpr()
		if err != nil {
			return nil, err
		}
		left = orOp{left, right}
	}
}

func (p *pathParser) andExpr() (expr, error) {
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		p.spaces()
		if !strings.HasPrefix(p.s[p.i:], "&&") {
			return left, nil
		}
		p.i += 2
		right, err := p.unary()
		if err != nil {
			return nil, err
		}
		left = andOp{left, right}
	}
}

func (p *pathParser) unary() (expr, error) {
	p.spaces()
	switch p.peek() {
	case '!':
		if !strings.HasPrefix(p.s[p.i:], "!=") {
			p.i++
			e, err := p.unary()
			if err != nil {
				return nil, err
			}
			return notOp{e}, nil
		}
	case '(':
		p.i++
		e, err := p.orExpr()
		if err != nil {
			return nil, err
		}
		p.spaces()
		if p.peek() != ')' {
			return nil, p.errf("expected \")\"")
		}
		p.i++
		return e, nil
	}
	return p.comparison()
}

// comparisonOps lists the supported operators, longest first.
var comparisonOps = []string{"==", "!=", "<=", ">=", "=~", "<", ">", "nin", "in"}

func (p *pathParser) comparison() (expr, error) {
	left, err := p.operand(false)
	if err != nil {
		return nil, err
	}
	p.spaces()
	op := ""
	for _, o := range comparisonOps {
		if strings.HasPrefix(p.s[p.i:], o) {
			if (o == "in" || o == "nin") && !p.wordEnds(p.i+len(o)) {
				continue
			}
			op = o
			break
		}
	}
	if op == "" {
		if c := p.peek(); c >= 'a' && c <= 'z' || c == '=' {
			start := p.i
			for p.i < len(p.s) && p.s[p.i] != ' ' && p.s[p.i] != '(' && p.s[p.i] != ')' {
				p.i++
			}
			word := p.s[start:p.i]
			p.i = start
			return nil, p.errf("filter operator %q is not supported", word)
		}
		if left.kind != operandPath {
			return nil, p.errf("a filter term without an operator must be a path such as @.field")
		}
		return existsOp{left}, nil
	}
	p.i += len(op)
	p.spaces()
	right, err := p.operand(op == "=~")
	if err != nil {
		return nil, err
	}
	switch {
	case op == "=~" && right.kind != operandRegex:
		return nil, p.errf("=~ needs a regular expression /…/ on its right")
	case (op == "in" || op == "nin") && right.kind != operandList && right.kind != operandPath:
		return nil, p.errf("%s needs a list [...] or a path on its right", op)
	}
	return compareOp{op: op, left: left, right: right}, nil
}

func (p *pathParser) wordEnds(i int) bool {
	if i >= len(p.s) {
		return true
	}
	c := p.s[i]
	return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_')
}

func (p *pathParser) operand(regexOK bool) (operand, error) {
	p.spaces()
	switch c := p.peek(); {
	case c == '@' || c == '$':
		p.i++
		steps, err := p.segments(true)
		if err != nil {
			return operand{}, err
		}
		return operand{kind: operandPath, root: c == '$', steps: steps}, nil
	case c == '\'' || c == '"':
		s, err := p.quoted()
		if err != nil {
			return operand{}, err
		}
		return operand{kind: operandLiteral, lit: &value{kind: kindString, str: s, raw: jsonx.AppendString(nil, s)}}, nil
	case c == '-' || c >= '0' && c <= '9':
		start := p.i
		for p.i < len(p.s) && isNumberByte(p.s[p.i]) {
			p.i++
		}
		f, err := strconv.ParseFloat(p.s[start:p.i], 64)
		if err != nil {
			p.i = start
			return operand{}, p.errf("invalid number")
		}
		return operand{kind: operandLiteral, lit: &value{kind: kindNumber, num: f, raw: []byte(p.s[start:p.i])}}, nil
	case c == '/' && regexOK:
		p.i++
		start := p.i
		for p.i < len(p.s) && p.s[p.i] != '/' {
			if p.s[p.i] == '\\' {
				p.i++
			}
			p.i++
		}
		if p.i >= len(p.s) {
			return operand{}, p.errf("unterminated regular expression")
		}
		src := p.s[start:p.i]
		p.i++
		if p.peek() == 'i' {
			src = "(?i)" + src
			p.i++
		}
		rx, err := regexp.Compile(src)
		if err != nil {
			return operand{}, p.errf("invalid regular expression: %v", err)
		}
		return operand{kind: operandRegex, rx: rx}, nil
	case c == '[':
		p.i++
		var list []*value
		for {
			p.spaces()
			if p.peek() == ']' && len(list) == 0 {
				break
			}
			o, err := p.operand(false)
			if err != nil {
				return operand{}, err
			}
			if o.kind != operandLiteral {
				return operand{}, p.errf("a list may hold only literals")
			}
			list = append(list, o.lit)
			p.spaces()
			if p.peek() != ',' {
				break
			}
			p.i++
		}
		if p.peek() != ']' {
			return operand{}, p.errf("expected \"]\" to close the list")
		}
		p.i++
		return operand{kind: operandList, list: list}, nil
	}
	for _, w := range []struct {
		word string
		v    *value
	}{
		{"true", &value{kind: kindBool, b: true, raw: []byte("true")}},
		{"false", &value{kind: kindBool, raw: []byte("false")}},
		{"null", &value{kind: kindNull, raw: []byte("null")}},
	} {
		if strings.HasPrefix(p.s[p.i:], w.word) && p.wordEnds(p.i+len(w.word)) {
			p.i += len(w.word)
			return operand{kind: operandLiteral, lit: w.v}, nil
		}
	}
	if p.i >= len(p.s) {
		return operand{}, p.errf("unexpected end of filter")
	}
	return operand{}, p.errf("unexpected %q in filter", p.s[p.i])
}
