package lambda

import (
	"context"
	"encoding/json"
	"os"
	"reflect"
	"testing"
	"time"
)

var sinkCtx *invokeCtx

func BenchmarkZParse(b *testing.B) {
	var p contextParser
	var ic invocationContext
	c := warmContext()
	for b.Loop() {
		p.parse(c, &ic)
	}
}

func BenchmarkZCtxAlloc(b *testing.B) {
	var p contextParser
	var ic invocationContext
	c := warmContext()
	p.parse(c, &ic)
	for b.Loop() {
		ctx := &invokeCtx{base: context.Background(), deadline: time.UnixMilli(ic.deadlineMs), traceID: ic.traceID}
		ic.fillLambdaContext(&ctx.lc)
		sinkCtx = ctx
	}
}

func BenchmarkZCtxAllocEnd(b *testing.B) {
	var p contextParser
	var ic invocationContext
	c := warmContext()
	p.parse(c, &ic)
	for b.Loop() {
		ctx := &invokeCtx{base: context.Background(), deadline: time.UnixMilli(ic.deadlineMs), traceID: ic.traceID}
		ic.fillLambdaContext(&ctx.lc)
		ctx.end()
	}
}

func BenchmarkZRequestID(b *testing.B) {
	c := []byte("8476a536-e9f4-11e8-9739-2dfe598c3fcd")
	var s string
	for b.Loop() {
		s = string(c)
	}
	_ = s
}

func BenchmarkZDeferRecover(b *testing.B) {
	f := func() (x int) {
		defer func() {
			if v := recover(); v != nil {
				x = 1
			}
		}()
		return 0
	}
	for b.Loop() {
		f()
	}
}

func BenchmarkZReflectNoop(b *testing.B) {
	h := newHandler(func() {}, nil)
	out := newOutput(h.opts)
	ctx := context.Background()
	for b.Loop() {
		h.invoke(ctx, nil, out)
	}
}

func BenchmarkZSetenv(b *testing.B) {
	i := 0
	vals := []string{"Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1", "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e701;Parent=9a9197af755a6419;Sampled=1"}
	for b.Loop() {
		os.Setenv("_X_AMZN_TRACE_ID", vals[i&1])
		i++
	}
}

func BenchmarkZTimeNow(b *testing.B) {
	for b.Loop() {
		time.Now()
	}
}

type zRecord struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
	City string `json:"city"`
	Note string `json:"note"`
}

type zResult struct {
	ID         int      `json:"id"`
	Name       string   `json:"name"`
	City       string   `json:"city"`
	Note       string   `json:"note"`
	NameLength int      `json:"nameLength"`
	Tags       []string `json:"tags"`
}

func zTransform(ctx context.Context, r zRecord) (zResult, error) {
	return zResult{ID: r.ID, Name: r.Name, City: r.City, Note: r.Note, NameLength: len(r.Name), Tags: []string{"x"}}, nil
}

var zEvent = []byte(`{"id":7,"name":"ada lovelace","city":"london","note":"order 1007: leave the parcel with the neighbour"}`)

func BenchmarkZTransformReflect(b *testing.B) {
	h := newHandler(zTransform, nil)
	out := newOutput(h.opts)
	ctx := context.Background()
	for b.Loop() {
		h.invoke(ctx, zEvent, out)
	}
}

func BenchmarkZTransformTyped(b *testing.B) {
	h := newTypedHandler(zTransform, nil)
	out := newOutput(h.opts)
	ctx := context.Background()
	for b.Loop() {
		h.invoke(ctx, zEvent, out)
	}
}

func BenchmarkZReflectCallOnly(b *testing.B) {
	fv := reflect.ValueOf(zTransform)
	args := []reflect.Value{reflect.ValueOf(context.Background()), reflect.ValueOf(zRecord{ID: 1, Name: "x"})}
	args[0] = contextValue(context.Background())
	for b.Loop() {
		fv.Call(args)
	}
}

func BenchmarkZUnmarshal(b *testing.B) {
	for b.Loop() {
		var r zRecord
		json.Unmarshal(zEvent, &r)
	}
}

func BenchmarkZEncodeEncoder(b *testing.B) {
	out := newOutput(newHandlerOptions(nil))
	r := zResult{ID: 1, Name: "ADA LOVELACE", City: "london", Note: "order 1007: leave the parcel with the neighbour", NameLength: 12, Tags: []string{"odd"}}
	for b.Loop() {
		out.encode(r)
	}
}

func BenchmarkZEncodeMarshal(b *testing.B) {
	r := zResult{ID: 1, Name: "ADA LOVELACE", City: "london", Note: "order 1007: leave the parcel with the neighbour", NameLength: 12, Tags: []string{"odd"}}
	for b.Loop() {
		json.Marshal(r)
	}
}
