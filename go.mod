module github.com/wasmap/wasmap

go 1.26.0

require (
	github.com/google/uuid v1.6.0
	github.com/klauspost/compress v1.20.4
	github.com/tetratelabs/wazero v1.12.0
	github.com/urfave/cli/v3 v3.14.0
	golang.org/x/term v0.48.0
)

require golang.org/x/sys v0.50.0 // indirect
