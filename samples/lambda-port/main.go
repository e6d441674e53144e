// Command lambda-port prices orders. It is an ordinary aws-lambda-go function: only its import
// paths were changed to build it for wasmap (see README.md).
//
// Build: GOOS=wasip1 GOARCH=wasm go build -o lambda-port.wasm .
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"math"
	"time"

	"github.com/wasmap/wasmap/sdk/go/lambda"
	"github.com/wasmap/wasmap/sdk/go/lambdacontext"
)

// LineItem is one line of an order.
type LineItem struct {
	SKU       string  `json:"sku"`
	Quantity  int     `json:"quantity"`
	UnitPrice float64 `json:"unitPrice"`
}

// Order is the function's event.
type Order struct {
	OrderID  string     `json:"orderId"`
	Customer string     `json:"customer"`
	Country  string     `json:"country"`
	Coupon   string     `json:"coupon,omitempty"`
	Items    []LineItem `json:"items"`
}

// Response is the priced order.
type Response struct {
	OrderID  string  `json:"orderId"`
	Items    int     `json:"items"`
	Subtotal float64 `json:"subtotal"`
	Discount float64 `json:"discount"`
	Shipping float64 `json:"shipping"`
	Tax      float64 `json:"tax"`
	Total    float64 `json:"total"`
	Currency string  `json:"currency"`
	PricedBy string  `json:"pricedBy"`
}

// InvalidOrderError rejects an order that cannot be priced. Its type name, InvalidOrderError,
// becomes the invocation's errorType, so a Step Functions Catch can match it.
type InvalidOrderError struct {
	OrderID string
	Reason  string
}

func (e *InvalidOrderError) Error() string {
	return fmt.Sprintf("order %q is invalid: %s", e.OrderID, e.Reason)
}

// Pricing rules, loaded once per execution environment.
var (
	taxRates = map[string]float64{
		"US": 0.0725, "CA": 0.05, "GB": 0.20, "DE": 0.19, "FR": 0.20, "NL": 0.21, "JP": 0.10,
	}
	coupons = map[string]float64{"WELCOME10": 0.10, "SPRING25": 0.25, "VIP": 0.30}
)

const (
	freeShippingFromCents = 100_00
	domesticShippingCents = 4_99
	shippingCents         = 14_99
	minTimeLeft           = 50 * time.Millisecond
)

func init() {
	log.Printf("pricing function %s (%s, %d MB) initialising: %d tax regions, %d coupons",
		lambdacontext.FunctionName, lambdacontext.FunctionVersion, lambdacontext.MemoryLimitInMB,
		len(taxRates), len(coupons))
}

// HandleRequest prices one order.
func HandleRequest(ctx context.Context, order Order) (Response, error) {
	lc, ok := lambdacontext.FromContext(ctx)
	if !ok {
		return Response{}, errors.New("no Lambda context")
	}
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < minTimeLeft {
		return Response{}, fmt.Errorf("request %s: only %v left, not enough to price order %s",
			lc.AwsRequestID, time.Until(deadline), order.OrderID)
	}
	if err := validate(order); err != nil {
		log.Printf("request %s: rejecting order %q: %v", lc.AwsRequestID, order.OrderID, err)
		return Response{}, err
	}

	var subtotal int64 // in cents, to keep the arithmetic exact
	items := 0
	for _, it := range order.Items {
		subtotal += int64(it.Quantity) * cents(it.UnitPrice)
		items += it.Quantity
	}
	discount := percentOf(subtotal, coupons[order.Coupon])
	shipping := int64(shippingCents)
	switch {
	case subtotal-discount >= freeShippingFromCents:
		shipping = 0
	case order.Country == "US":
		shipping = domesticShippingCents
	}
	tax := percentOf(subtotal-discount+shipping, taxRates[order.Country])
	total := subtotal - discount + shipping + tax

	log.Printf("request %s: order %s for %s: %d items, total %s", lc.AwsRequestID, order.OrderID,
		order.Customer, items, dollars(total))
	return Response{
		OrderID:  order.OrderID,
		Items:    items,
		Subtotal: amount(subtotal),
		Discount: amount(discount),
		Shipping: amount(shipping),
		Tax:      amount(tax),
		Total:    amount(total),
		Currency: "USD",
		PricedBy: lc.AwsRequestID,
	}, nil
}

func validate(o Order) error {
	invalid := func(format string, args ...any) error {
		return &InvalidOrderError{OrderID: o.OrderID, Reason: fmt.Sprintf(format, args...)}
	}
	switch {
	case o.OrderID == "":
		return invalid("no orderId")
	case len(o.Items) == 0:
		return invalid("no items")
	case taxRates[o.Country] == 0:
		return invalid("we do not ship to country %q", o.Country)
	}
	if _, ok := coupons[o.Coupon]; o.Coupon != "" && !ok {
		return invalid("unknown coupon %q", o.Coupon)
	}
	for i, it := range o.Items {
		if it.Quantity <= 0 {
			return invalid("item %d (%s): quantity %d", i+1, it.SKU, it.Quantity)
		}
		if it.UnitPrice < 0 {
			return invalid("item %d (%s): negative price %.2f", i+1, it.SKU, it.UnitPrice)
		}
	}
	return nil
}

func cents(price float64) int64 { return int64(math.Round(price * 100)) }

func percentOf(c int64, rate float64) int64 { return int64(math.Round(float64(c) * rate)) }

func amount(c int64) float64 { return float64(c) / 100 }

func dollars(c int64) string { return fmt.Sprintf("$%d.%02d", c/100, c%100) }

func main() {
	lambda.Start(HandleRequest)
}
