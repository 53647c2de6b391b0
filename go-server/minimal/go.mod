module hellobench/go-server/minimal

go 1.26
