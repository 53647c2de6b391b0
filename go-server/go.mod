module hellobench/go-server

go 1.26
