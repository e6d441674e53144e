package lambda

import (
	"context"
	"os"
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
