//go:build ignore

// gen writes items.jsonl, the sample's 1,000 records. The records are a pure function of their
// index, so the file is the same on every run: go run gen.go
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"log"
	"os"
)

type record struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
	City string `json:"city"`
	Note string `json:"note"`
}

var (
	first = []string{"ada", "grace", "alan", "edsger", "barbara", "donald", "frances", "john",
		"margaret", "ken", "radia", "dennis", "hedy", "tim", "sophie", "linus", "annie", "guido",
		"jean", "bjarne", "katherine", "niklaus", "shafi", "rob", "élodie", "jürgen", "zoë"}
	last = []string{"lovelace", "hopper", "turing", "dijkstra", "liskov", "knuth", "allen",
		"mccarthy", "hamilton", "thompson", "perlman", "ritchie", "lamarr", "berners-lee", "wilson",
		"torvalds", "easley", "van rossum", "bartik", "stroustrup", "johnson", "wirth", "goldwasser",
		"pike", "müller", "weiß"}
	cities = []string{"london", "new york", "amsterdam", "zürich", "kraków", "são paulo", "tokyo",
		"nairobi", "montréal", "reykjavík", "straße des 17. juni, berlin", "dublin", "lagos",
		"seattle", "bangalore", "melbourne", "oslo", "lisbon", "austin"}
	notes = []string{
		"deliver before noon",
		"leave the parcel with the neighbour",
		"fragile: glass & ceramics",
		"call on arrival <no doorbell>",
		"gift wrap, no invoice in the box",
		"second attempt",
		"customer prefers \"contactless\" delivery",
		"back door, code 1234",
		"",
	}
)

func main() {
	f, err := os.Create("items.jsonl")
	if err != nil {
		log.Fatal(err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for i := 1; i <= 1000; i++ {
		r := record{
			ID:   i,
			Name: first[(i*7)%len(first)] + " " + last[(i*11)%len(last)],
			City: cities[(i*13)%len(cities)],
			Note: fmt.Sprintf("order %04d: %s", 1000+i*37%9000, notes[(i*5)%len(notes)]),
		}
		if err := enc.Encode(r); err != nil {
			log.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}
