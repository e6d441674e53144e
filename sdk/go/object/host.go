package object

// hostAPI is wasmap_object_v1 (ABI.md §8) with Go strings and slices in place of (ptr, len)
// pairs. Results are the ABI's: >= 0 for success, a negated errno otherwise. The wasip1 build
// sets host to the wasm imports; elsewhere it is nil, and tests set a fake.
type hostAPI interface {
	open(name string) int64
	create(name string) int64
	stat(name string, buf []byte) int64
	size(h int32) int64
	read(h int32, off int64, buf []byte) int64
	write(h int32, buf []byte) int64
	close(h int32) int64
	abort(h int32) int64
}

var host hostAPI
