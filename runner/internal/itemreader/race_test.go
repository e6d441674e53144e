//go:build race

package itemreader_test

const raceEnabled = true
