// Package itemreader streams the items of a local JSON or JSON Lines file, the way a Distributed
// Map's ItemReader reads an S3 object (ASL reference §3).
//
// A JSON source must be one top-level array; each element is an item, in file order, with its key
// order kept. A JSON Lines source holds one JSON value per line. Either may be compressed with gzip
// or zstd: compression is detected by the magic bytes, never by the file name. Items are read one
// at a time, so memory stays bounded by the largest item, not by the file.
//
// Failures come in two kinds:
//
//   - A fatal failure of the source (missing file, not an array, a JSON syntax error, a read error)
//     is returned by [Open] or [Reader.Next] as a *[ReaderError]. The Map Run fails with
//     {"Error":"States.ItemReaderFailed","Cause":…}.
//   - A per-item failure (a JSON Lines line that is not JSON, or a line or array element longer
//     than [MaxItemBytes]) is an [Item] whose Err is an *[ItemError]. That item fails; the run
//     goes on.
//
// [Count] is a separate, faster pass that counts the items without parsing them, so that a
// progress display can show a total and an ETA while the real read is under way.
//
// # Notes
//
// Where the ASL reference is silent (§15, ◌), the choices are:
//   - JSON Lines: blank and white-space-only lines are skipped and are not items, but they count
//     in line numbers; "\r\n" endings work; a final line without "\n" is an item; a line that is
//     not exactly one JSON value is an item error, not a fatal one.
//   - A line or element longer than [MaxItemBytes] (8 MiB) is an item error; memory stays bounded
//     by that limit (plus the 1 MiB read buffers), whatever the file size.
//   - A JSON syntax error inside the array is fatal: the reader cannot find the next element.
//     The cause gives the byte offset in the decompressed content, and its line and column:
//     "invalid JSON at byte offset 22 (line 3, column 9): invalid character '}' looking for
//     beginning of value". An empty JSON file is such an error ("unexpected end of JSON
//     input"); anything but white space after the array is one too.
//   - A UTF-8 byte order mark at the start of the content is skipped (offsets still count it).
//   - Item values are compacted (insignificant white space removed); strings, numbers and key
//     order are kept byte for byte, never re-encoded.
package itemreader
