package resultwriter_test

import (
	"testing"

	"github.com/wasmap/wasmap/runner/internal/resultwriter"
)

// BenchmarkAdd measures writing NONE records (about 600 bytes each) to a local folder, Close
// included.
func BenchmarkAdd(b *testing.B) {
	recs := sampleRecords()
	for _, transformation := range []string{"NONE", "COMPACT"} {
		b.Run(transformation, func(b *testing.B) {
			dir := b.TempDir()
			w, err := resultwriter.New(resultwriter.Config{Dir: dir, MapRunID: runID, MapRunArn: runArn, Transformation: transformation})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				r := recs[0]
				if i%10 == 0 {
					r = recs[1]
				}
				if err := w.Add(r); err != nil {
					b.Fatal(err)
				}
			}
			m, err := w.Close()
			if err != nil {
				b.Fatal(err)
			}
			var size int64
			for _, f := range append(m.ResultFiles.Succeeded, m.ResultFiles.Failed...) {
				size += f.Size
			}
			b.SetBytes(size / int64(b.N))
		})
	}
}
