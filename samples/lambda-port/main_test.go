package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wasmap/wasmap/sdk/go/lambdacontext"
)

func testContext(t *testing.T) context.Context {
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestHandleRequest(t *testing.T) {
	got, err := HandleRequest(testContext(t), Order{
		OrderID: "ord-1", Customer: "Ada", Country: "US", Coupon: "WELCOME10",
		Items: []LineItem{{"KB-101", 2, 49.90}, {"CBL-USB", 1, 4.50}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// 104.30 - 10.43 = 93.87 (under 100: domestic shipping 4.99), tax 7.25% of 98.86 = 7.17.
	want := Response{OrderID: "ord-1", Items: 3, Subtotal: 104.30, Discount: 10.43, Shipping: 4.99,
		Tax: 7.17, Total: 106.03, Currency: "USD", PricedBy: "req-1"}
	if got != want {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestInvalidOrders(t *testing.T) {
	for _, o := range []Order{
		{OrderID: "a", Country: "US"},
		{OrderID: "b", Country: "XX", Items: []LineItem{{"KB-101", 1, 1}}},
		{OrderID: "c", Country: "US", Coupon: "NOPE", Items: []LineItem{{"KB-101", 1, 1}}},
		{OrderID: "d", Country: "US", Items: []LineItem{{"KB-101", 0, 1}}},
		{OrderID: "e", Country: "US", Items: []LineItem{{"KB-101", 1, -1}}},
	} {
		_, err := HandleRequest(testContext(t), o)
		var invalid *InvalidOrderError
		if !errors.As(err, &invalid) || invalid.OrderID != o.OrderID {
			t.Errorf("order %s: err = %v, want an InvalidOrderError", o.OrderID, err)
		}
	}
}
