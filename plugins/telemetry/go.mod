module github.com/wasmap/wasmap/plugins/telemetry

go 1.26.0

require github.com/wasmap/wasmap/sdk/go v0.0.0-00010101000000-000000000000

require github.com/wasmap/wasmap v0.0.0-00010101000000-000000000000 // indirect

replace (
	github.com/wasmap/wasmap => ../..
	github.com/wasmap/wasmap/sdk/go => ../../sdk/go
)
