module github.com/wasmap/wasmap/runner/internal/conformance/testdata/go-ext

go 1.26.0

require github.com/wasmap/wasmap/sdk/go v0.0.0-00010101000000-000000000000

require github.com/wasmap/wasmap v0.0.0-00010101000000-000000000000

replace (
	github.com/wasmap/wasmap => ../../../../..
	github.com/wasmap/wasmap/sdk/go => ../../../../../sdk/go
)
