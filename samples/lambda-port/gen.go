//go:build ignore

// gen writes items.json: 50 orders, a few of them invalid on purpose. The orders are a pure
// function of their index, so the file is the same on every run: go run gen.go
package main

import (
	"encoding/json"
	"fmt"
	"log"
	"os"
)

type lineItem struct {
	SKU       string  `json:"sku"`
	Quantity  int     `json:"quantity"`
	UnitPrice float64 `json:"unitPrice"`
}

type order struct {
	OrderID  string     `json:"orderId"`
	Customer string     `json:"customer"`
	Country  string     `json:"country"`
	Coupon   string     `json:"coupon,omitempty"`
	Items    []lineItem `json:"items"`
}

var (
	customers = []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Hedy"}
	countries = []string{"US", "US", "CA", "GB", "DE", "FR", "NL", "JP"}
	couponFor = []string{"", "", "", "WELCOME10", "", "SPRING25", "", "VIP"}
	catalogue = []lineItem{
		{"KB-101", 0, 49.90}, {"MS-220", 0, 19.99}, {"HD-4TB", 0, 89.00}, {"CBL-USB", 0, 4.50},
		{"MON-27", 0, 229.00}, {"PAD-XL", 0, 12.75}, {"CAM-HD", 0, 59.95}, {"HUB-7", 0, 24.00},
	}
)

func main() {
	var orders []order
	for i := 1; i <= 50; i++ {
		o := order{
			OrderID:  fmt.Sprintf("ord-%04d", 1000+i),
			Customer: customers[(i*3)%len(customers)],
			Country:  countries[(i*5)%len(countries)],
			Coupon:   couponFor[(i*7)%len(couponFor)],
		}
		for j := 0; j < 1+i%3; j++ {
			it := catalogue[(i+j*5)%len(catalogue)]
			it.Quantity = 1 + (i+j)%4
			o.Items = append(o.Items, it)
		}
		// A few invalid orders, each for a different reason.
		switch i {
		case 7:
			o.Items[0].Quantity = 0
		case 13:
			o.Country = "XX"
		case 21:
			o.Items = nil
		case 34:
			o.Coupon = "FREESTUFF"
		case 42:
			o.Items[0].UnitPrice = -5
		}
		orders = append(orders, o)
	}
	b, err := json.MarshalIndent(orders, "", "  ")
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("items.json", append(b, '\n'), 0o644); err != nil {
		log.Fatal(err)
	}
}
