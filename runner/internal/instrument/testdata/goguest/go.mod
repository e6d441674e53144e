module example.com/goguest

go 1.26
