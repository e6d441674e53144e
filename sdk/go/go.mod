module github.com/wasmap/wasmap/sdk/go

go 1.26.0

require github.com/wasmap/wasmap v0.0.0-00010101000000-000000000000

replace github.com/wasmap/wasmap => ../..
