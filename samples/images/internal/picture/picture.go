// Package picture is the image work of the images sample, shared by the wasm function, the
// generator and the native baseline: deterministic test photos, and one pass over a decoded
// image that gives its mean colour and a thumbnail. It uses only the standard library.
package picture

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math"
	"math/rand/v2"
)

// Quality is the JPEG quality of generated photos and thumbnails.
const Quality = 80

// sizes are the photos' dimensions, as a phone or camera export them at web sizes.
var sizes = [][2]int{{640, 480}, {600, 450}, {576, 432}, {640, 427}, {480, 640}, {512, 512}}

// Generate returns photo number i as a JPEG: the same bytes for the same i on every machine.
// It looks vaguely like a dog in a garden (a gradient sky, a lawn, a brown body, head and ears,
// film grain), sized 480 to 640 pixels a side, and weighs 20 to 35 KB.
func Generate(i int) []byte {
	rng := rand.New(rand.NewPCG(uint64(i), 0x5eed_d065))
	wh := sizes[rng.IntN(len(sizes))]
	w, h := wh[0], wh[1]
	img := image.NewRGBA(image.Rect(0, 0, w, h))

	sky0, sky1 := randColor(rng, 150, 230), randColor(rng, 90, 200)
	grass := color.RGBA{uint8(40 + rng.IntN(60)), uint8(100 + rng.IntN(80)), uint8(30 + rng.IntN(50)), 255}
	horizon := h/3 + rng.IntN(h/4)
	fur := []color.RGBA{{139, 90, 43, 255}, {92, 64, 51, 255}, {210, 180, 140, 255}, {40, 36, 34, 255}, {230, 225, 215, 255}}[rng.IntN(5)]

	// Low-frequency shading: the sum of four random waves amp·sin(fx·x + fy·y + phase), so that
	// areas are not flat. Each is sin(a)cos(b) + cos(a)sin(b), a = fx·x and b = fy·y + phase,
	// with the sines and cosines of a row and a column computed once.
	const waves = 4
	sinX, cosX := make([][]float64, waves), make([][]float64, waves)
	sinY, cosY := make([][]float64, waves), make([][]float64, waves)
	for k := range waves {
		fx, fy, phase, amp := rng.Float64()*0.05, rng.Float64()*0.05, rng.Float64()*6.3, 6+rng.Float64()*10
		sinX[k], cosX[k] = make([]float64, w), make([]float64, w)
		for x := range w {
			sinX[k][x], cosX[k][x] = math.Sincos(fx * float64(x))
		}
		sinY[k], cosY[k] = make([]float64, h), make([]float64, h)
		for y := range h {
			sy, cy := math.Sincos(fy*float64(y) + phase)
			sinY[k][y], cosY[k][y] = amp*sy, amp*cy
		}
	}
	for y := 0; y < h; y++ {
		var c color.RGBA
		if y < horizon {
			c = lerp(sky0, sky1, float64(y)/float64(horizon))
		} else {
			c = grass
			c.G = clamp(float64(c.G) - 40*float64(y-horizon)/float64(h-horizon))
		}
		for x := 0; x < w; x++ {
			s := 0.0
			for k := range waves {
				s += sinX[k][x]*cosY[k][y] + cosX[k][x]*sinY[k][y]
			}
			img.SetRGBA(x, y, shade(c, s))
		}
	}

	// The dog: a body, a head, two ears and four legs, in one fur colour.
	cx, cy := w/4+rng.IntN(w/2), horizon+rng.IntN(max(1, h-horizon-h/6))
	bw, bh := w/6+rng.IntN(w/8), h/10+rng.IntN(h/12)
	ellipse(img, cx, cy, bw, bh, fur)
	dir := 1
	if rng.IntN(2) == 0 {
		dir = -1
	}
	hx, hy := cx+dir*bw, cy-bh
	ellipse(img, hx, hy, bh*3/4, bh*2/3, fur)
	ellipse(img, hx-bh/3, hy-bh/2, bh/5, bh/3, shade(fur, -40))
	ellipse(img, hx+bh/3, hy-bh/2, bh/5, bh/3, shade(fur, -40))
	ellipse(img, hx+dir*bh/2, hy, bh/10+1, bh/10+1, color.RGBA{20, 20, 20, 255})
	for _, lx := range []int{-bw * 2 / 3, -bw / 3, bw / 3, bw * 2 / 3} {
		ellipse(img, cx+lx, cy+bh, bh/6+1, bh*2/3, shade(fur, -20))
	}
	// A ball, sometimes.
	if rng.IntN(3) == 0 {
		r := h/30 + rng.IntN(h/30)
		ellipse(img, rng.IntN(w), horizon+rng.IntN(h-horizon), r, r, randColor(rng, 60, 255))
	}

	// Grain: what makes a photo a photo, and its JPEG 20-35 KB.
	pix := img.Pix
	for p := 0; p < len(pix); p += 4 {
		n := (rng.Float64() - 0.5) * 10
		pix[p] = clamp(float64(pix[p]) + n)
		pix[p+1] = clamp(float64(pix[p+1]) + n)
		pix[p+2] = clamp(float64(pix[p+2]) + n)
	}

	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: Quality}); err != nil {
		panic(err) // cannot happen: the image is valid and the buffer grows
	}
	return b.Bytes()
}

func randColor(rng *rand.Rand, lo, hi int) color.RGBA {
	c := func() uint8 { return uint8(lo + rng.IntN(hi-lo)) }
	return color.RGBA{c(), c(), c(), 255}
}

func lerp(a, b color.RGBA, t float64) color.RGBA {
	f := func(x, y uint8) uint8 { return clamp(float64(x) + (float64(y)-float64(x))*t) }
	return color.RGBA{f(a.R, b.R), f(a.G, b.G), f(a.B, b.B), 255}
}

func shade(c color.RGBA, d float64) color.RGBA {
	return color.RGBA{clamp(float64(c.R) + d), clamp(float64(c.G) + d), clamp(float64(c.B) + d), 255}
}

func clamp(v float64) uint8 {
	switch {
	case v < 0:
		return 0
	case v > 255:
		return 255
	}
	return uint8(v)
}

// ellipse fills the ellipse of centre (cx, cy) and radii (rx, ry), shaded darker downwards.
func ellipse(img *image.RGBA, cx, cy, rx, ry int, c color.RGBA) {
	b := img.Bounds()
	for y := max(b.Min.Y, cy-ry); y <= min(b.Max.Y-1, cy+ry); y++ {
		dy := float64(y-cy) / float64(ry)
		for x := max(b.Min.X, cx-rx); x <= min(b.Max.X-1, cx+rx); x++ {
			dx := float64(x-cx) / float64(rx)
			if dx*dx+dy*dy <= 1 {
				img.SetRGBA(x, y, shade(c, -18*dy))
			}
		}
	}
}

// Stats describes a decoded image.
type Stats struct {
	Width  int `json:"width"`
	Height int `json:"height"`
	// Mean is the mean colour, R, G and B from 0 to 255, over all pixels.
	Mean [3]float64 `json:"mean"`
}

// Result is the record of one image: the images function's output.
type Result struct {
	Key   string `json:"key"`
	Bytes int64  `json:"bytes"`
	Stats
	MeanColor string `json:"meanColor"` // Mean as "#rrggbb"
	// Thumbnail is the thumbnail's name, "s3://bucket/thumbnails/dog-0001.jpg".
	Thumbnail      string `json:"thumbnail"`
	ThumbnailBytes int    `json:"thumbnailBytes"`
}

// NewResult returns the Result of the image at key.
func NewResult(key string, size int64, st Stats, thumbnail string, thumbnailBytes int) Result {
	return Result{Key: key, Bytes: size, Stats: st, MeanColor: st.Hex(), Thumbnail: thumbnail, ThumbnailBytes: thumbnailBytes}
}

// Hex returns the mean colour as "#rrggbb".
func (s Stats) Hex() string {
	return fmt.Sprintf("#%02x%02x%02x", round8(s.Mean[0]), round8(s.Mean[1]), round8(s.Mean[2]))
}

func round8(v float64) uint8 { return clamp(math.Round(v)) }

// Analyze reads img once and returns its Stats and a thumbnail thumbWidth pixels wide (and as
// high as keeps the aspect ratio, at least 1), each of its pixels the mean of the source
// pixels it covers (box resampling).
//
// A YCbCr image (what image/jpeg decodes a colour JPEG to) is averaged in YCbCr, and the means
// converted to RGB: a mean colour or thumbnail pixel then differs from the mean of the pixels'
// RGB values only where converting them clipped a channel (by a unit or two). A Gray image is
// read directly; other types through At, in RGB, which is slower.
func Analyze(img image.Image, thumbWidth int) (Stats, *image.RGBA) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	st := Stats{Width: w, Height: h}
	if w == 0 || h == 0 {
		return st, image.NewRGBA(image.Rect(0, 0, 0, 0))
	}
	tw := min(thumbWidth, w)
	th := max(1, (h*tw+w/2)/w)
	// Each source column and row falls in one thumbnail column and row.
	col := make([]int, w)
	for x := range col {
		col[x] = x * tw / w
	}
	sums := make([][3]uint64, tw*th) // the three channels' sums per thumbnail pixel
	toRGB := func(c [3]float64) [3]float64 { return c }
	switch m := img.(type) {
	case *image.YCbCr:
		toRGB = ycbcrToRGB
		for y := 0; y < h; y++ {
			row := sums[y*th/h*tw:]
			ys := m.Y[m.YOffset(b.Min.X, b.Min.Y+y):][:w]
			if m.SubsampleRatio == image.YCbCrSubsampleRatio420 && b.Min.X%2 == 0 {
				// One chroma sample per two luma samples of a row: colour JPEGs as image/jpeg
				// decodes them.
				ci := m.COffset(b.Min.X, b.Min.Y+y)
				cb, cr := m.Cb[ci:][:(w+1)/2], m.Cr[ci:][:(w+1)/2]
				for x, yy := range ys {
					s := &row[col[x]]
					s[0] += uint64(yy)
					s[1] += uint64(cb[x/2])
					s[2] += uint64(cr[x/2])
				}
				continue
			}
			for x, yy := range ys {
				ci := m.COffset(b.Min.X+x, b.Min.Y+y)
				s := &row[col[x]]
				s[0] += uint64(yy)
				s[1] += uint64(m.Cb[ci])
				s[2] += uint64(m.Cr[ci])
			}
		}
	case *image.Gray:
		for y := 0; y < h; y++ {
			row := sums[y*th/h*tw:]
			for x, v := range m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:w] {
				s := &row[col[x]]
				s[0] += uint64(v)
			}
		}
		for i := range sums {
			sums[i][1], sums[i][2] = sums[i][0], sums[i][0]
		}
	default:
		for y := 0; y < h; y++ {
			row := sums[y*th/h*tw:]
			for x := 0; x < w; x++ {
				c := color.RGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.RGBA)
				s := &row[col[x]]
				s[0] += uint64(c.R)
				s[1] += uint64(c.G)
				s[2] += uint64(c.B)
			}
		}
	}
	thumb := image.NewRGBA(image.Rect(0, 0, tw, th))
	var total [3]uint64
	for i, s := range sums {
		// The box of thumbnail pixel i: as many columns as map to its column, rows to its row.
		tx, ty := i%tw, i/tw
		n := float64(boxSize(w, tw, tx) * boxSize(h, th, ty))
		rgb := toRGB([3]float64{float64(s[0]) / n, float64(s[1]) / n, float64(s[2]) / n})
		p := thumb.Pix[i*4 : i*4+4]
		p[0], p[1], p[2], p[3] = round8(rgb[0]), round8(rgb[1]), round8(rgb[2]), 255
		for c := range 3 {
			total[c] += s[c]
		}
	}
	n := float64(w * h)
	mean := toRGB([3]float64{float64(total[0]) / n, float64(total[1]) / n, float64(total[2]) / n})
	for c := range 3 {
		st.Mean[c] = math.Round(mean[c]*100) / 100
	}
	return st, thumb
}

// boxSize is how many of n source pixels map to thumbnail pixel i of m (pixel x maps to x*m/n).
func boxSize(n, m, i int) int {
	first := func(i int) int { return (i*n + m - 1) / m } // the first x with x*m/n >= i
	return first(i+1) - first(i)
}

// ycbcrToRGB converts a colour of fractional Y, Cb and Cr to RGB, as JFIF does, clamped to
// 0-255.
func ycbcrToRGB(c [3]float64) [3]float64 {
	y, cb, cr := c[0], c[1]-128, c[2]-128
	f := func(v float64) float64 { return math.Min(255, math.Max(0, v)) }
	return [3]float64{f(y + 1.402*cr), f(y - 0.344136*cb - 0.714136*cr), f(y + 1.772*cb)}
}

// Thumbnail decodes a JPEG, analyzes it and writes its thumbnail, as a JPEG, to w.
func Thumbnail(jpg []byte, thumbWidth int, w io.Writer) (Stats, error) {
	img, err := jpeg.Decode(bytes.NewReader(jpg))
	if err != nil {
		return Stats{}, err
	}
	st, thumb := Analyze(img, thumbWidth)
	return st, jpeg.Encode(w, thumb, &jpeg.Options{Quality: Quality})
}
