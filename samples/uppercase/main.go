// Command uppercase is a wasmap function that upper-cases every string field of a JSON object
// and leaves everything else as it is: same keys, same order, other values untouched.
//
//	{"id":1,"name":"ada lovelace","city":"zürich"} → {"id":1,"name":"ADA LOVELACE","city":"ZÜRICH"}
//
// Build: GOOS=wasip1 GOARCH=wasm go build -o uppercase.wasm .
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/wasmap/wasmap/sdk/go/lambda"
)

// NotAnObjectError is returned for an item that is not a JSON object.
type NotAnObjectError struct{ Got string }

func (e *NotAnObjectError) Error() string {
	return fmt.Sprintf("the item must be a JSON object, got %s", e.Got)
}

// uppercase walks the object's members in order, copying each value as it is unless it is a
// string. It works on the raw JSON so that it needs no struct and keeps the key order.
func uppercase(ctx context.Context, item json.RawMessage) (json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(item))
	if tok, err := dec.Token(); err != nil {
		return nil, err
	} else if tok != json.Delim('{') {
		return nil, &NotAnObjectError{Got: fmt.Sprint(tok)}
	}
	var out bytes.Buffer
	out.WriteByte('{')
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, err
		}
		if out.Len() > 1 {
			out.WriteByte(',')
		}
		writeString(&out, key.(string))
		out.WriteByte(':')
		if value[0] == '"' {
			var s string
			if err := json.Unmarshal(value, &s); err != nil {
				return nil, err
			}
			writeString(&out, strings.ToUpper(s))
		} else {
			out.Write(value)
		}
	}
	out.WriteByte('}')
	return out.Bytes(), nil
}

// writeString writes s as a JSON string, leaving <, > and & as they are.
func writeString(out *bytes.Buffer, s string) {
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)           // a string always encodes
	out.Truncate(out.Len() - 1) // Encode's newline
}

func main() {
	lambda.Start(uppercase)
}
