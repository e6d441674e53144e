#!/bin/sh
# The images demo, from the repository root, with a local S3 server's variables in the
# environment (task images does this):
#
#   go run ./runner/internal/s3test/cmd/s3local -dir out/s3 sh samples/images/demo.sh
#
# By hand: start `go run ./runner/internal/s3test/cmd/s3local -dir out/s3` in one terminal, paste
# the export line it prints in another, and type the three commands below. N=50 makes fewer photos.
set -eu

# 1,000 deterministic JPEG photos (20-35 KB) to s3://photos/images/ (the bucket is created).
go run -C samples/images ./cmd/gen -n "${N:-1000}" -to s3://photos/images/ -path-style

# The function, built for wasm.
GOOS=wasip1 GOARCH=wasm go build -C samples/images -o images.wasm .

# The map run: one item per object of the listing; thumbnails under thumbnails/, results under runs/.
go run ./runner/cmd/wasmap run -f samples/images/images.wasm --items s3://photos/images/ \
    --output-prefix s3://photos/thumbnails/ --results s3://photos/runs --path-style
echo
