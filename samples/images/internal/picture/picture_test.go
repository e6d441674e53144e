package picture

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"testing"
)

func TestGenerate(t *testing.T) {
	for i := range 20 {
		a, b := Generate(i), Generate(i)
		if !bytes.Equal(a, b) {
			t.Fatalf("photo %d differs between two calls", i)
		}
		if len(a) < 20_000 || len(a) > 35_000 {
			t.Errorf("photo %d has %d bytes, want 20-35 KB", i, len(a))
		}
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(a))
		if err != nil || cfg.Width < 480 || cfg.Height < 427 {
			t.Errorf("photo %d: %+v %v", i, cfg, err)
		}
	}
	if bytes.Equal(Generate(1), Generate(2)) {
		t.Error("photos 1 and 2 are the same")
	}
}

// An image of four quadrants: the thumbnail's pixels are the means of their boxes, and the
// mean colour is the mean of the quadrants'.
func TestAnalyze(t *testing.T) {
	quad := []color.RGBA{{255, 0, 0, 255}, {0, 255, 0, 255}, {0, 0, 255, 255}, {255, 255, 255, 255}}
	img := image.NewRGBA(image.Rect(10, 20, 210, 120)) // 200 x 100, not at the origin
	for y := 20; y < 120; y++ {
		for x := 10; x < 210; x++ {
			img.SetRGBA(x, y, quad[(y-20)/50*2+(x-10)/100])
		}
	}
	gray := image.NewGray(image.Rect(0, 0, 30, 10))
	for i := range gray.Pix {
		gray.Pix[i] = uint8(i % 30 * 3)
	}
	tests := []struct {
		name   string
		img    image.Image
		width  int
		want   Stats
		thumbW int
		thumbH int
		pixel  map[image.Point]color.RGBA
	}{
		{"rgba", img, 4, Stats{200, 100, [3]float64{127.5, 127.5, 127.5}}, 4, 2,
			map[image.Point]color.RGBA{{0, 0}: quad[0], {3, 0}: quad[1], {0, 1}: quad[2], {3, 1}: quad[3]}},
		{"box of two", img, 1, Stats{200, 100, [3]float64{127.5, 127.5, 127.5}}, 1, 1,
			map[image.Point]color.RGBA{{0, 0}: {128, 128, 128, 255}}},
		{"wider than the image", gray, 64, Stats{30, 10, [3]float64{43.5, 43.5, 43.5}}, 30, 10,
			map[image.Point]color.RGBA{{0, 0}: {0, 0, 0, 255}, {29, 9}: {87, 87, 87, 255}}},
		{"gray", gray, 3, Stats{30, 10, [3]float64{43.5, 43.5, 43.5}}, 3, 1,
			map[image.Point]color.RGBA{{0, 0}: {14, 14, 14, 255}, {2, 0}: {74, 74, 74, 255}}},
	}
	for _, tt := range tests {
		st, thumb := Analyze(tt.img, tt.width)
		if st != tt.want {
			t.Errorf("%s: stats %+v, want %+v", tt.name, st, tt.want)
		}
		if b := thumb.Bounds(); b.Dx() != tt.thumbW || b.Dy() != tt.thumbH {
			t.Errorf("%s: thumbnail %v, want %dx%d", tt.name, b, tt.thumbW, tt.thumbH)
		}
		for p, c := range tt.pixel {
			if got := thumb.RGBAAt(p.X, p.Y); got != c {
				t.Errorf("%s: thumbnail pixel %v = %v, want %v", tt.name, p, got, c)
			}
		}
	}
}

// A decoded JPEG (YCbCr 4:2:0) gives about the same stats through the fast path, averaging
// YCbCr, as through At, averaging RGB: they differ where converting a pixel clips a channel.
func TestAnalyzeYCbCr(t *testing.T) {
	img, err := jpeg.Decode(bytes.NewReader(Generate(7)))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := img.(*image.YCbCr); !ok {
		t.Fatalf("decoded %T", img)
	}
	fast, thumbFast := Analyze(img, 64)
	slow, thumbSlow := Analyze(atOnly{img}, 64)
	for c := range 3 {
		if math.Abs(fast.Mean[c]-slow.Mean[c]) > 0.5 {
			t.Errorf("YCbCr path %+v, At path %+v", fast, slow)
		}
	}
	for i := range thumbFast.Pix {
		if d := int(thumbFast.Pix[i]) - int(thumbSlow.Pix[i]); d < -4 || d > 4 {
			t.Fatalf("thumbnail byte %d: YCbCr path %d, At path %d", i, thumbFast.Pix[i], thumbSlow.Pix[i])
		}
	}
	if fast.Hex() == "#000000" || thumbFast.Bounds().Dx() != 64 {
		t.Errorf("%+v %v", fast, thumbFast.Bounds())
	}
}

// atOnly hides an image's type, so that Analyze reads it through At.
type atOnly struct{ image.Image }

func TestThumbnail(t *testing.T) {
	var b bytes.Buffer
	st, err := Thumbnail(Generate(3), 64, &b)
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(&b)
	if err != nil || img.Bounds().Dx() != 64 || img.Bounds().Dy() != (st.Height*64+st.Width/2)/st.Width {
		t.Errorf("thumbnail %v of %+v: %v", img.Bounds(), st, err)
	}
	if _, err := Thumbnail([]byte("not a jpeg"), 64, &b); err == nil {
		t.Error("Thumbnail of text: no error")
	}
}

func TestHex(t *testing.T) {
	if got := (Stats{Mean: [3]float64{255, 15.5, 0.4}}).Hex(); got != "#ff1000" {
		t.Errorf("Hex = %s", got)
	}
}

// BenchmarkThumbnail is the function's work on one photo, without the I/O: decode, stats,
// thumbnail, encode.
func BenchmarkThumbnail(b *testing.B) {
	jpg := Generate(0)
	var out bytes.Buffer
	for b.Loop() {
		out.Reset()
		if _, err := Thumbnail(jpg, 64, &out); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	jpg := Generate(0)
	for b.Loop() {
		if _, err := jpeg.Decode(bytes.NewReader(jpg)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAnalyze(b *testing.B) {
	img, _ := jpeg.Decode(bytes.NewReader(Generate(0)))
	for b.Loop() {
		Analyze(img, 64)
	}
}

func BenchmarkGenerate(b *testing.B) {
	for i := 0; b.Loop(); i++ {
		Generate(i)
	}
}
