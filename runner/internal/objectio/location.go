package objectio

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/wasmap/wasmap/abi"
)

// Schemes of names and locations.
const (
	SchemeFile = "file"
	SchemeS3   = "s3"
)

// Location is a canonical place for objects: a folder (Path "" or ending in "/") or a single
// object. Its String form is the URI a module uses in names.
type Location struct {
	// Scheme is SchemeFile or SchemeS3.
	Scheme string
	// Bucket is the S3 bucket; "" for SchemeFile.
	Bucket string
	// Path is, for SchemeFile, an absolute '/'-separated path with symbolic links resolved
	// ("/srv/data/" for a folder, "/srv/items.json" for a file); for SchemeS3, a key prefix
	// ("" for the whole bucket, else ending in "/").
	Path string
}

// Folder reports whether l is a folder rather than one object.
func (l Location) Folder() bool { return l.Path == "" || strings.HasSuffix(l.Path, "/") }

// String returns l as a URI: "file:///srv/data/", "s3://bucket/prefix/".
func (l Location) String() string {
	if l.Scheme == SchemeS3 {
		return "s3://" + l.Bucket + "/" + l.Path
	}
	return l.Scheme + "://" + l.Path
}

// contains reports whether the canonical object URI name is in l: under it for a folder,
// equal to it for an object.
func (l Location) contains(name string) bool {
	u := l.String()
	if l.Folder() {
		return len(name) > len(u) && strings.HasPrefix(name, u)
	}
	return name == u
}

// parent returns the folder that holds l (l itself for a folder).
func (l Location) parent() Location {
	if l.Folder() {
		return l
	}
	l.Path = l.Path[:strings.LastIndexByte(l.Path, '/')+1]
	return l
}

// checkName applies the rules that hold for any name: length, NUL, UTF-8.
func checkName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty", ErrInvalidName)
	case len(name) > abi.MaxObjectNameBytes:
		return fmt.Errorf("%w: %d bytes, over %d", ErrNameTooLong, len(name), abi.MaxObjectNameBytes)
	case strings.IndexByte(name, 0) >= 0:
		return fmt.Errorf("%w: %q holds a NUL byte", ErrInvalidName, name)
	case !utf8.ValidString(name):
		return fmt.Errorf("%w: %q is not valid UTF-8", ErrInvalidName, name)
	}
	return nil
}

// checkKey applies the segment rules to a key: no "..", no ".", no empty segment.
func checkKey(key string) error {
	if key == "" {
		return fmt.Errorf("%w: empty key", ErrInvalidName)
	}
	for seg := range strings.SplitSeq(key, "/") {
		switch seg {
		case "..":
			return fmt.Errorf("%w: %q has a \"..\" segment", ErrDenied, key)
		case "":
			return fmt.Errorf("%w: %q has an empty segment", ErrInvalidName, key)
		case ".":
			return fmt.Errorf("%w: %q has a \".\" segment", ErrInvalidName, key)
		}
	}
	return nil
}

// splitScheme returns the scheme of a "scheme://rest" name, or ok false for a plain key. A
// scheme is a letter followed by letters, digits, '+', '-' or '.' (RFC 3986). A plain key can
// never look like one: "x://" has an empty segment.
func splitScheme(name string) (scheme, rest string, ok bool) {
	i := strings.Index(name, "://")
	if i <= 0 {
		return "", "", false
	}
	for j, c := range name[:i] {
		letter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !letter && (j == 0 || !('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return "", "", false
		}
	}
	return name[:i], name[i+3:], true
}

// canonical turns a name into a canonical object URI, resolving a plain key against def
// (a folder; nil when the run has none).
func canonical(name string, def *Location) (string, error) {
	if err := checkName(name); err != nil {
		return "", err
	}
	scheme, rest, ok := splitScheme(name)
	if !ok {
		if strings.HasPrefix(name, "/") {
			return "", fmt.Errorf("%w: %q is an absolute path, not a key (use a file:// URI)", ErrDenied, name)
		}
		if err := checkKey(name); err != nil {
			return "", err
		}
		if def == nil {
			return "", fmt.Errorf("%w: plain key %q, and the run has no default location", ErrDenied, name)
		}
		return def.String() + name, nil
	}
	switch scheme {
	case SchemeFile:
		if !strings.HasPrefix(rest, "/") {
			return "", fmt.Errorf("%w: %q: a file URI is file:///absolute/path, with no host", ErrInvalidName, name)
		}
		if err := checkKey(rest[1:]); err != nil {
			return "", err
		}
	case SchemeS3:
		bucket, key, _ := strings.Cut(rest, "/")
		if bucket == "" {
			return "", fmt.Errorf("%w: %q has no bucket", ErrInvalidName, name)
		}
		if bucket == ".." {
			return "", fmt.Errorf("%w: %q", ErrDenied, name)
		}
		if err := checkKey(key); err != nil {
			return "", err
		}
	default:
		return "", fmt.Errorf("%w: scheme %q", ErrNoStore, scheme)
	}
	return name, nil
}
