package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmap/wasmap/runner/internal/guesttest"
	"github.com/wasmap/wasmap/runner/internal/s3test"
)

// TestImagesDemo runs samples/images' demo (samples/images/demo.sh) on 50 photos against a
// real S3 server: the sample's gen command uploads them, the function runs over the listing
// through the CLI, and each image's record, thumbnail and the results export are checked
// against the photos themselves. An object that is not a JPEG fails its item alone.
func TestImagesDemo(t *testing.T) {
	const n = 50
	srv := s3test.Start(t)
	srv.SetEnv(t)
	gen := exec.Command("go", "run", "./cmd/gen", "-n", fmt.Sprint(n), "-to", "s3://photos/images/", "-path-style")
	gen.Dir = filepath.Join(guesttest.Root(), "samples/images")
	gen.Env = append(os.Environ(), "GOWORK=off")
	if out, err := gen.CombinedOutput(); err != nil || !strings.Contains(string(out), "gen: 50 photos") {
		t.Fatalf("gen: %v\n%s", err, out)
	}
	srv.PutObject(t, "photos", "images/notes.txt", []byte("not a photo"))
	wasm := guesttest.Build(t, "samples/images")

	stdout, stderr, code := wasmap(t, "run", "-f", wasm, "--items", "s3://photos/images/", "--output-prefix", "s3://photos/thumbnails/",
		"--results", "s3://photos/runs", "--path-style", "--tolerated-failure-count", "1", "--progress", "lines")
	if code != 0 || !strings.Contains(stderr, fmt.Sprintf("succeeded %d  failed 1", n)) {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	var state struct{ ResultWriterDetails struct{ Bucket, Key string } }
	if err := json.Unmarshal([]byte(stdout), &state); err != nil || state.ResultWriterDetails.Bucket != "photos" {
		t.Fatalf("stdout %s: %v", stdout, err)
	}
	var manifest struct {
		ResultFiles struct{ SUCCEEDED, FAILED []struct{ Key string } }
	}
	if err := json.Unmarshal(srv.GetObject(t, "photos", state.ResultWriterDetails.Key), &manifest); err != nil ||
		len(manifest.ResultFiles.SUCCEEDED) != 1 || len(manifest.ResultFiles.FAILED) != 1 {
		t.Fatalf("manifest %+v: %v", manifest, err)
	}
	var failed []struct{ Input, Error, Cause string }
	json.Unmarshal(srv.GetObject(t, "photos", manifest.ResultFiles.FAILED[0].Key), &failed)
	if len(failed) != 1 || !strings.Contains(failed[0].Input, "images/notes.txt") || !strings.Contains(failed[0].Cause, "invalid JPEG") {
		t.Errorf("FAILED records %+v", failed)
	}
	var recs []struct{ Input, Output string }
	if err := json.Unmarshal(srv.GetObject(t, "photos", manifest.ResultFiles.SUCCEEDED[0].Key), &recs); err != nil || len(recs) != n {
		t.Fatalf("%d SUCCEEDED records: %v", len(recs), err)
	}
	for i, r := range recs {
		var out struct {
			Key            string
			Bytes          int
			Width, Height  int
			Mean           [3]float64
			MeanColor      string
			Thumbnail      string
			ThumbnailBytes int
		}
		if err := json.Unmarshal([]byte(r.Output), &out); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		name := fmt.Sprintf("dog-%04d.jpg", i)
		if out.Key != "images/"+name || out.Thumbnail != "s3://photos/thumbnails/"+name {
			t.Fatalf("record %d: key %s, thumbnail %s", i, out.Key, out.Thumbnail)
		}
		photo := srv.GetObject(t, "photos", out.Key)
		img, err := jpeg.Decode(bytes.NewReader(photo))
		if err != nil {
			t.Fatal(err)
		}
		if out.Bytes != len(photo) || out.Width != img.Bounds().Dx() || out.Height != img.Bounds().Dy() {
			t.Errorf("%s: %d bytes %dx%d, the photo has %d bytes %v", out.Key, out.Bytes, out.Width, out.Height, len(photo), img.Bounds())
		}
		if mean := meanRGB(img); math.Abs(mean[0]-out.Mean[0]) > 1 || math.Abs(mean[1]-out.Mean[1]) > 1 || math.Abs(mean[2]-out.Mean[2]) > 1 ||
			out.MeanColor != fmt.Sprintf("#%02x%02x%02x", int(math.Round(out.Mean[0])), int(math.Round(out.Mean[1])), int(math.Round(out.Mean[2]))) {
			t.Errorf("%s: mean %v %s, computed here %v", out.Key, out.Mean, out.MeanColor, mean)
		}
		thumb := srv.GetObject(t, "photos", "thumbnails/"+name)
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(thumb))
		if err != nil || cfg.Width != 64 || cfg.Height != (out.Height*64+out.Width/2)/out.Width || len(thumb) != out.ThumbnailBytes {
			t.Errorf("thumbnail of %s: %+v, %d bytes, %v", out.Key, cfg, len(thumb), err)
		}
	}
	if keys := srv.Keys(t, "photos", "thumbnails/"); len(keys) != n {
		t.Errorf("%d thumbnails, want %d", len(keys), n)
	}
}

// meanRGB is the mean colour of img's pixels, computed plainly.
func meanRGB(img image.Image) [3]float64 {
	var sum [3]float64
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			sum[0] += float64(c.R)
			sum[1] += float64(c.G)
			sum[2] += float64(c.B)
		}
	}
	n := float64(b.Dx() * b.Dy())
	return [3]float64{sum[0] / n, sum[1] / n, sum[2] / n}
}
