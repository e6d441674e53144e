// Package selector implements a Distributed Map's ItemSelector (and its legacy alias
// Parameters) in JSONPath mode (ASL reference §1, §4): it builds each item's child input from a
// template.
//
// In the template, a key ending in ".$" holds a path and the output key drops the suffix. A path
// starting with "$." (or "$" alone) reads the Map state's effective input, after InputPath, never
// the item. A path starting with "$$" reads the context object, where "$$.Map.Item.Value" is the
// item and "$$.Map.Item.Index" its 0-based position. Any other key is a literal, even when its
// value looks like a path or a variable: "bucketName": "$bucket" stays the string "$bucket".
// Objects and arrays nested in the template are processed the same way, at any depth.
//
// The work is split so that nothing is parsed twice:
//
//	sel, err := selector.Compile(template)   // once per state machine: validates every path
//	bound, err := sel.Bind(mapInput)          // once per Map run: evaluates every "$…" path
//	child, err := bound.Apply(index, item)    // per item: copies fixed parts, reads the item
//
// A Selector and a Bound are immutable and safe for concurrent use. Apply returns a new slice
// that the caller owns; AppendApply appends to the caller's buffer instead.
//
// Output is compact JSON. Keys are in template order. A value taken from the input or the item
// is its compact text as it was written there: its key order, number spelling (1.50 stays 1.50)
// and string escapes are kept.
//
// # Paths
//
// Step Functions evaluates these paths with Jayway JsonPath, and its "Paths" page
// (https://docs.aws.amazon.com/step-functions/latest/dg/amazon-states-language-paths.html)
// restricts only reference paths (ItemsPath, ResultPath, OutputPath), not the paths of
// Parameters/ItemSelector. This package accepts the Jayway subset below:
//
//	$  $.a.b  $['a b']  $["a"]  $.abc.['def ghi']    members (bracket form for any name)
//	$.a[0]  $.a[-1]                                     one index, negative from the end
//	$.a[*]  $.a.*  $..b  $..*  $..[0]                   wildcard, deep scan (a node's matches, then its descendants')
//	$.a[1:3]  $.a[:2]  $.a[-2:]  $.a[0,2]               slice, index union
//	$.a[?(@.p < 10 && @.t == 'x')]  [?(@.isbn)]         filters
//
// Filters combine &&, ||, !, parentheses; comparisons ==, !=, <, <=, >, >= (numbers by value,
// strings lexically), =~ /regex/ (with an optional i flag; Go RE2 syntax), in and nin against a
// list of literals or a path; a path alone tests that a member exists (even with a null value).
// Operands are @-paths, $-paths (the root of the document the path reads), numbers, 'strings'
// or "strings", true, false and null. A comparison whose path is missing is false.
//
// A definite path (members and single indexes only) selects one value; if that value is missing
// the item fails with a *RuntimeError (States.Runtime). Any other path is indefinite and
// selects a JSON array of every match, possibly []. A filter applied to an object tests the
// object itself, as Jayway does.
//
// Refused at Compile, with the location and offset: functions such as length(), script
// expressions [(…)], unions of member names ['a','b'], slice steps [a:b:c], deep scans,
// wildcards and slices inside filters, filter operators other than those above (subsetof,
// anyof, size, empty, …), and intrinsic functions (States.Format, …), which wrap
// ErrNotSupported.
//
// # Notes
//
// Where the ASL reference is silent, the choices are:
//   - A path that selects nothing is States.Runtime, with the cause AWS writes for Parameters in
//     recorded execution histories: "The JSONPath '$.x' specified for the field 'x.$' could not be
//     found in the input '<compact input>'". The runner adds AWS's prefix "An error occurred while
//     executing the state '<state>' (entered at the event id #<n>). ". The field is the key as
//     written, also for a nested key. For a "$$" path the input shown is the context object
//     ({"Map":{"Item":{"Index":…,"Value":…}}}); AWS's text for that case was not found.
//   - Bind does not fail on a "$…" path that selects nothing: every Apply returns the error,
//     so a Map run without items does not fail.
//   - Fields are evaluated in template order and the first failure is returned.
//   - The context object holds only Map.Item unless BindContext supplies the rest (Execution,
//     State, StateMachine, …); a "$$" path outside Map then reads that.
//   - Two keys that give the same output key ("a" and "a.$") are a Compile error.
//   - With duplicate keys in a document, the last one wins (as in Jackson and encoding/json).
//   - Apply copies an item it uses whole without validating it (the item reader has); an item
//     that a path looks inside is validated, and an invalid one wraps ErrInvalidJSON.
package selector
