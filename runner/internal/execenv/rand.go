package execenv

import "crypto/rand"

// cryptoRand is WASI random_get's source: the host's cryptographic generator.
type cryptoRand struct{}

func (cryptoRand) Read(p []byte) (int, error) { return rand.Read(p) }
