// Package itemreader streams the items of a local CSV, JSON or JSON Lines file, or of a local
// folder, the way a Distributed Map's ItemReader reads an S3 object or listing (ASL reference §3).
//
// A JSON source must be one top-level array; each element is an item, in file order, with its key
// order kept. A JSON Lines source holds one JSON value per line. A CSV source yields one item per
// data row: a JSON object that maps each header to the row's field, always a string (§3.3). Any
// of them may be compressed with gzip or zstd: compression is detected by the magic bytes, never
// by the file name. Items are read one at a time, so memory stays bounded by the largest item,
// not by the file.
//
// A folder yields one item per file, like an s3:listObjectsV2 ItemReader (§3.4): exactly
//
//	{"Etag":"\"<md5 hex>\"","Key":"<path/with/slashes>","LastModified":<epoch seconds>,"Size":<bytes>,"StorageClass":"STANDARD"}
//
// in key order (the byte-wise order of the keys, as S3 lists them), recursively, keeping only the
// keys that start with Config.Prefix.
//
// Failures come in two kinds:
//
//   - A fatal failure of the source (missing file, not an array, a JSON syntax error, duplicate
//     CSV headers, an unclosed CSV quote, a read error) is returned by [Open] or [Reader.Next] as
//     a *[ReaderError]. The Map Run fails with {"Error":"States.ItemReaderFailed","Cause":…}.
//   - A per-item failure (a JSON Lines line that is not JSON, a CSV row with a misplaced quote, a
//     line, element or row longer than [MaxItemBytes], a file of a folder that cannot be read) is
//     an [Item] whose Err is an *[ItemError]. That item fails; the run goes on.
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
//   - A line, element or row longer than [MaxItemBytes] (8 MiB) is an item error; memory stays
//     bounded by that limit (plus the 1 MiB read buffers), whatever the file size.
//   - A JSON syntax error inside the array is fatal: the reader cannot find the next element.
//     The cause gives the byte offset in the decompressed content, and its line and column:
//     "invalid JSON at byte offset 22 (line 3, column 9): invalid character '}' looking for
//     beginning of value". An empty JSON file is such an error ("unexpected end of JSON
//     input"); anything but white space after the array is one too.
//   - A UTF-8 byte order mark at the start of the content is skipped (offsets still count it).
//   - Item values are compacted (insignificant white space removed); strings, numbers and key
//     order are kept byte for byte, never re-encoded.
//
// CSV (the recorded rules of §3.3 are followed exactly; RFC 4180 is the working assumption for
// the rest):
//   - Keys are in header order. AWS's order is not (it looks like hash order): compare objects
//     semantically. Strings are escaped minimally (the quote, the backslash, control characters);
//     invalid UTF-8 becomes U+FFFD, so items are always valid JSON.
//   - Rows end at "\n" or "\r\n" outside quotes, or at the end of the file; a final "\r" is a line
//     ending too, a lone "\r" elsewhere is data. An empty line (nothing before its line ending) is
//     not a row, anywhere, header included: so a trailing newline, or several, gives no item, as
//     Python's csv.DictReader and Go's encoding/csv do. A line with anything on it, even spaces
//     or a lone delimiter, is a row (§3.3).
//   - Quotes as RFC 4180: a field that starts with '"' is quoted, may hold delimiters and line
//     endings (kept as written, "\r\n" included), and "" stands for '"'. Item.Line is the line
//     where the row starts, counting the lines inside quoted fields.
//   - A misplaced quote (a '"' in a field that does not start with one, or anything but a
//     delimiter or a line ending after a closing quote) fails that row only: an ItemError
//     wrapping [ErrCSVQuote], e.g. "line 5: bare quote in an unquoted field at column 4". The
//     row's extent is unambiguous (the parse goes on as if the quote were an ordinary
//     character), so the next rows are read as usual.
//   - A quoted field still open at the end of the file is fatal: it has swallowed every line
//     after its opening quote, so the reader cannot tell which rows were meant, and failing one
//     item would hide the loss of the others. The cause names where it opened: "invalid CSV: the
//     quoted field that starts at line 3, column 5 is not closed at the end of the file".
//   - The header row is limited to [MaxCSVHeaderBytes] (10 KiB) as written, and GIVEN headers
//     joined by the delimiter likewise. A misplaced quote in the header row is fatal. A file with
//     no header row (empty, or only empty lines) has no items.
//   - Config: the enum values are accepted in any case, like InputType. CSVHeaders without GIVEN,
//     GIVEN without CSVHeaders, and CSV settings for a JSON or JSON Lines source are errors.
//   - A row that fails still counts toward MaxItems, as in JSON Lines.
//
// Folders (listObjectsV2):
//   - Only regular files are items (S3 has no directories: an empty folder lists nothing). A
//     symbolic link to a regular file inside the folder is listed under the link's key; links to
//     directories are not followed (no cycles, no duplicates), and links that lead outside the
//     folder or nowhere are skipped. The folder itself may be a link.
//   - Etag: the MD5 of the content, quoted, for files up to [EtagMD5Limit] (8 MiB), which is what
//     S3 gives for an object uploaded in one part. Above that, reading every file would make a
//     listing as slow as copying the folder, so the Etag is the MD5 of the key, size and
//     modification time: it changes when the file does, but it is not the content's MD5 (S3's
//     own Etags are not for multipart or KMS-encrypted objects either).
//   - LastModified is a number, the modification time in whole seconds since the epoch, as in
//     AWS's documentation example ("LastModified": 1668699881). Size is a number of bytes.
//   - Keys are paths relative to the folder with "/" separators. A file name that is not valid
//     UTF-8 (S3 keys must be) is an item error naming the key.
//   - Memory holds the sorted entry names of the directories on the current path, not the whole
//     tree: a folder of a million files in one directory costs its million names (tens of MB),
//     spread over many directories much less. A Prefix starts the walk at the deepest directory
//     it names and prunes the directories that cannot match.
//   - A directory that cannot be read is fatal (a listing must not silently miss files); a file
//     removed between the listing and its item is skipped; a file that cannot be read for its
//     MD5 is an item error.
package itemreader
