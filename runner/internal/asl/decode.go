package asl

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"

	"github.com/wasmap/wasmap/runner/internal/selector"
)

// object is one JSON object of the definition, its members in document order, with its
// location for errors.
type object struct {
	loc     string
	members []member
}

type member struct {
	key string
	val json.RawMessage
}

// jsonKind returns the JSON type of a valid value: '{', '[', '"', 'n' (null), 't'/'f' (bool) or
// '0' (number).
func jsonKind(raw []byte) byte {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return 0
	}
	switch c := raw[0]; c {
	case '{', '[', '"', 'n', 't', 'f':
		return c
	}
	return '0'
}

func kindName(raw []byte) string {
	switch jsonKind(raw) {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	}
	return "a number"
}

// decodeObject reads raw, which must be valid JSON, as an object. Duplicate keys are refused:
// Step Functions' parser would keep only one of them silently.
func decodeObject(loc string, raw json.RawMessage) (*object, error) {
	if jsonKind(raw) != '{' {
		return nil, defErr(loc, "must be a JSON object, got %s", kindName(raw))
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return nil, defErr(loc, "invalid JSON: %v", err)
	}
	o := &object{loc: loc}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, defErr(loc, "invalid JSON: %v", err)
		}
		key, _ := tok.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return nil, defErr(join(loc, key), "invalid JSON: %v", err)
		}
		if seen[key] {
			return nil, defErr(join(loc, key), "duplicate field %q", key)
		}
		seen[key] = true
		o.members = append(o.members, member{key, val})
	}
	return o, nil
}

func (o *object) at(key string) string { return join(o.loc, key) }

func (o *object) get(key string) (json.RawMessage, bool) {
	for _, m := range o.members {
		if m.key == key {
			return m.val, true
		}
	}
	return nil, false
}

func (o *object) has(key string) bool {
	_, ok := o.get(key)
	return ok
}

// jsonataFields are the fields of JSONata states, and variables, which this package does not
// implement.
var jsonataFields = map[string]string{
	"Arguments": "Arguments belongs to JSONata states; only JSONPath definitions are supported (use Parameters)",
	"Output":    "Output belongs to JSONata states; only JSONPath definitions are supported (use OutputPath or ResultSelector)",
	"Items":     "Items belongs to JSONata states; only JSONPath definitions are supported (use ItemsPath)",
	"Assign":    "variables (Assign) are not supported",
}

// check refuses every field not in allowed. what names the object in the message ("a Task
// state").
func (o *object) check(what string, allowed ...string) error {
	for _, m := range o.members {
		ok := false
		for _, a := range allowed {
			if m.key == a {
				ok = true
				break
			}
		}
		if ok {
			continue
		}
		if why, j := jsonataFields[m.key]; j {
			return defErr(o.at(m.key), "field %s is not supported: %s", m.key, why)
		}
		return defErr(o.at(m.key), "field %s is not supported in %s", m.key, what)
	}
	return nil
}

// checkQueryLanguage accepts a QueryLanguage field only when it says JSONPath.
func (o *object) checkQueryLanguage() error {
	raw, ok := o.get("QueryLanguage")
	if !ok {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return defErr(o.at("QueryLanguage"), "must be a string")
	}
	if s != "JSONPath" {
		return defErr(o.at("QueryLanguage"), "%q is not supported: only JSONPath definitions are run", s)
	}
	return nil
}

// str reads a string field; ok is false when the field is absent.
func (o *object) str(key string) (s string, ok bool, err error) {
	raw, ok := o.get(key)
	if !ok {
		return "", false, nil
	}
	if jsonKind(raw) != '"' {
		return "", true, defErr(o.at(key), "must be a string, got %s", kindName(raw))
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", true, defErr(o.at(key), "invalid string: %v", err)
	}
	return s, true, nil
}

// nonEmpty reads a string field that must not be empty when present.
func (o *object) nonEmpty(key string) (string, bool, error) {
	s, ok, err := o.str(key)
	if err == nil && ok && s == "" {
		err = defErr(o.at(key), "must not be empty")
	}
	return s, ok, err
}

// boolean reads a boolean field.
func (o *object) boolean(key string) (b, ok bool, err error) {
	raw, ok := o.get(key)
	if !ok {
		return false, false, nil
	}
	if k := jsonKind(raw); k != 't' && k != 'f' {
		return false, true, defErr(o.at(key), "must be true or false, got %s", kindName(raw))
	}
	return jsonKind(raw) == 't', true, nil
}

// integer reads an integer field (a JSON number without fraction or exponent).
func (o *object) integer(key string) (n int64, ok bool, err error) {
	raw, ok := o.get(key)
	if !ok {
		return 0, false, nil
	}
	n, good := literalInt(raw)
	if !good {
		return 0, true, defErr(o.at(key), "must be an integer, got %s", bytes.TrimSpace(raw))
	}
	return n, true, nil
}

// number reads a number field.
func (o *object) number(key string) (f float64, ok bool, err error) {
	raw, ok := o.get(key)
	if !ok {
		return 0, false, nil
	}
	if jsonKind(raw) != '0' {
		return 0, true, defErr(o.at(key), "must be a number, got %s", kindName(raw))
	}
	f, perr := strconv.ParseFloat(string(bytes.TrimSpace(raw)), 64)
	if perr != nil || math.IsInf(f, 0) {
		return 0, true, defErr(o.at(key), "must be a number, got %s", bytes.TrimSpace(raw))
	}
	return f, true, nil
}

// sub reads an object field.
func (o *object) sub(key string) (*object, bool, error) {
	raw, ok := o.get(key)
	if !ok {
		return nil, false, nil
	}
	s, err := decodeObject(o.at(key), raw)
	return s, true, err
}

// strings reads an array of strings.
func (o *object) strings(key string) ([]string, bool, error) {
	raw, ok := o.get(key)
	if !ok {
		return nil, false, nil
	}
	if jsonKind(raw) != '[' {
		return nil, true, defErr(o.at(key), "must be an array of strings, got %s", kindName(raw))
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, true, defErr(o.at(key), "invalid array: %v", err)
	}
	out := make([]string, len(elems))
	for i, e := range elems {
		if jsonKind(e) != '"' {
			return nil, true, defErr(index(o.at(key), i), "must be a string, got %s", kindName(e))
		}
		_ = json.Unmarshal(e, &out[i])
	}
	return out, true, nil
}

// template reads a payload template field (an object whose ".$" keys hold paths).
func (o *object) template(key string) (json.RawMessage, *selector.Template, error) {
	raw, ok := o.get(key)
	if !ok {
		return nil, nil, nil
	}
	t, err := selector.CompileTemplate(o.at(key), raw)
	if err != nil {
		return nil, nil, compileErr(o.at(key), err)
	}
	return compact(raw), t, nil
}

// compileErr turns a selector error into a DefinitionError.
func compileErr(loc string, err error) error {
	var ce *selector.CompileError
	if errors.As(err, &ce) {
		return &DefinitionError{Location: ce.Location, Reason: ce.Reason}
	}
	return &DefinitionError{Location: loc, Reason: err.Error()}
}

// pathField is a compiled path field: absent (nil text), JSON null, or a path.
type pathField struct {
	text *string // nil: absent; points to NullPath for JSON null
	path *selector.Path
	null bool
}

// pathField reads InputPath, OutputPath, ResultPath or ItemsPath. reference restricts it to a
// reference path; nullable allows JSON null.
func (o *object) pathField(key string, reference, nullable bool) (pathField, error) {
	raw, ok := o.get(key)
	if !ok {
		return pathField{}, nil
	}
	if jsonKind(raw) == 'n' {
		if !nullable {
			return pathField{}, defErr(o.at(key), "must be a path, not null")
		}
		t := NullPath
		return pathField{text: &t, null: true}, nil
	}
	s, _, err := o.str(key)
	if err != nil {
		return pathField{}, err
	}
	p, err := compilePath(s, reference)
	if err != nil {
		return pathField{}, defErr(o.at(key), "%v", err)
	}
	return pathField{text: &s, path: p}, nil
}

// refPath reads a "…Path" field that names a value: a reference path, never null.
func (o *object) refPath(key string) (string, *selector.Path, error) {
	s, ok, err := o.str(key)
	if err != nil || !ok {
		return "", nil, err
	}
	p, err := compilePath(s, true)
	if err != nil {
		return "", nil, defErr(o.at(key), "%v", err)
	}
	return s, p, nil
}

func compilePath(s string, reference bool) (*selector.Path, error) {
	if reference {
		return selector.CompileReferencePath(s)
	}
	return selector.CompilePath(s)
}

// exclusive refuses a field given with its "…Path" form.
func (o *object) exclusive(key string) error {
	if o.has(key) && o.has(key+"Path") {
		return defErr(o.at(key+"Path"), "%s and %sPath cannot both be given", key, key)
	}
	return nil
}

// literalInt parses a JSON number written as an integer.
func literalInt(raw []byte) (int64, bool) {
	raw = bytes.TrimSpace(raw)
	if jsonKind(raw) != '0' || bytes.ContainsAny(raw, ".eE") {
		return 0, false
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	return n, err == nil
}

// compact returns raw, valid JSON, without insignificant white space.
func compact(raw []byte) json.RawMessage {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return append(json.RawMessage(nil), raw...)
	}
	return buf.Bytes()
}

// valueText writes a value for a cause: a string's text as it is, anything else as compact JSON
// (AWS's "refers to value \"NoNumber\"" and "refers to value \"{}\"", ASL reference §6, §7).
func valueText(raw []byte) string {
	if jsonKind(raw) == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	}
	return string(compact(raw))
}

// quote formats a string for a message.
func quote(s string) string { return strconv.Quote(s) }
