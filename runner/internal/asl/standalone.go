package asl

import "encoding/json"

// ParseProcessor reads an ItemProcessor object on its own ({"StartAt":…,"States":{…}}), as a
// runner Job holds it. Errors are *DefinitionError with Locations starting "ItemProcessor".
func ParseProcessor(raw json.RawMessage) (*Processor, error) {
	wrapped := make([]byte, 0, len(raw)+18)
	wrapped = append(append(append(wrapped, `{"ItemProcessor":`...), raw...), '}')
	o, err := decodeObject("", wrapped)
	if err != nil {
		return nil, err
	}
	return parseProcessor(o, "ItemProcessor")
}
