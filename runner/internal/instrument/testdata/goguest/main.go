// Command goguest is the Go guest of the instrument package's tests and benchmarks: a small
// JSON transform run once per call of the host's goguest.next, as a wasmap function runs once
// per event.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -trimpath -o goguest.wasm . (guesttest.Build does it.)
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

// next asks the host for work: 0 stop, 1 transform one event, 2 transform one and print it.
//
//go:wasmimport goguest next
func next() int32

type item struct {
	SKU   string  `json:"sku"`
	Qty   int     `json:"qty"`
	Price float64 `json:"price"`
}

type order struct {
	ID       int               `json:"id"`
	Customer string            `json:"customer"`
	Items    []item            `json:"items"`
	Tags     []string          `json:"tags"`
	Meta     map[string]string `json:"meta"`
}

type summary struct {
	ID       int      `json:"id"`
	Customer string   `json:"customer"`
	Total    float64  `json:"total"`
	Count    int      `json:"count"`
	SKUs     []string `json:"skus"`
	Tags     string   `json:"tags"`
	Depth    int      `json:"depth"`
}

func event(n int) []byte {
	return fmt.Appendf(nil, `{"id":%d,"customer":"customer-%d","items":[{"sku":"B-%d","qty":%d,"price":1.25},`+
		`{"sku":"A-%d","qty":2,"price":%d.5},{"sku":"C","qty":1,"price":0.1}],"tags":["x","y%d","z"],`+
		`"meta":{"region":"eu-west-1","shard":"%d"}}`, n, n%7, n, n%5+1, n*3, n%11, n%3, n%4)
}

// depth recurses without loops, as the meter's function-entry check must catch.
func depth(n int) int {
	if n == 0 {
		return 0
	}
	return 1 + depth(n-1)
}

func transform(ev []byte) ([]byte, error) {
	var o order
	if err := json.Unmarshal(ev, &o); err != nil {
		return nil, err
	}
	s := summary{ID: o.ID, Customer: strings.ToUpper(o.Customer), Depth: depth(o.ID % 50)}
	for _, it := range o.Items {
		s.Total += float64(it.Qty) * it.Price
		s.Count += it.Qty
		s.SKUs = append(s.SKUs, it.SKU)
	}
	sort.Strings(s.SKUs)
	s.Tags = strings.Join(o.Tags, ",") + "@" + o.Meta["region"]
	return json.Marshal(s)
}

func main() {
	var keep [][]byte // grows the heap, so that the runtime calls memory.grow
	n := 0
	for {
		op := next()
		if op == 0 {
			break
		}
		out, err := transform(event(n))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if op == 2 {
			fmt.Printf("%s\n", out)
			keep = append(keep, make([]byte, 1<<20))
		}
		n++
	}
	fmt.Printf("done %d %d\n", n, len(keep))
}
