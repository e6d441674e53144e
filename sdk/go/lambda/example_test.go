package lambda_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/wasmap/wasmap/sdk/go/lambda"
	"github.com/wasmap/wasmap/sdk/go/lambdacontext"
)

type Order struct {
	ID    string  `json:"id"`
	Total float64 `json:"total"`
}

type Receipt struct {
	OrderID string `json:"orderId"`
	Message string `json:"message"`
}

// A function module's main: build it with GOOS=wasip1 GOARCH=wasm go build.
func ExampleStart() {
	lambda.Start(func(ctx context.Context, o Order) (Receipt, error) {
		lc, _ := lambdacontext.FromContext(ctx)
		return Receipt{OrderID: o.ID, Message: "handled by " + lc.AwsRequestID}, nil
	})
}

// The generic form checks the handler's types at compile time and calls it without reflection.
func ExampleStartHandlerFunc() {
	lambda.StartHandlerFunc(func(ctx context.Context, o Order) (Receipt, error) {
		return Receipt{OrderID: o.ID}, nil
	}, lambda.WithDisallowUnknownFields(true))
}

// NewHandler gives the bytes an invocation would post, which is handy in tests.
func ExampleNewHandler() {
	h := lambda.NewHandler(func(o Order) (Receipt, error) {
		if o.Total < 0 {
			return Receipt{}, fmt.Errorf("order %s: negative total", o.ID)
		}
		return Receipt{OrderID: o.ID, Message: "total <" + fmt.Sprint(o.Total) + ">"}, nil
	})
	for _, event := range []string{`{"id":"a1","total":9.5}`, `{"id":"b2","total":-1}`} {
		out, err := h.Invoke(context.Background(), []byte(event))
		if err != nil {
			fmt.Println("error:", err)
			continue
		}
		fmt.Println(string(out))
	}
	// Output:
	// {"orderId":"a1","message":"total <9.5>"}
	// error: order b2: negative total
}

// Options are aws-lambda-go's.
func ExampleNewHandlerWithOptions() {
	h := lambda.NewHandlerWithOptions(func(in map[string]any) (map[string]any, error) {
		in["upper"] = strings.ToUpper(fmt.Sprint(in["name"]))
		return in, nil
	}, lambda.WithSetIndent("", "  "), lambda.WithUseNumber(true))
	out, _ := h.Invoke(context.Background(), []byte(`{"name":"ada","n":12345678901234567890}`))
	fmt.Print(string(out))
	// Output:
	// {
	//   "n": 12345678901234567890,
	//   "name": "ada",
	//   "upper": "ADA"
	// }
}

// An invalid handler is reported on every invocation, not at start-up.
func ExampleNewHandler_invalid() {
	_, err := lambda.NewHandler(func(a, b string) {}).Invoke(context.Background(), nil)
	fmt.Println(err)
	// Output:
	// handler takes two arguments, but the first is not Context. got string
}
