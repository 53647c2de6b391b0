// go-minimal-server is net/http's own hello world (the package's ExampleListenAndServe,
// "Hello world, the web server"), with defaults everywhere: this file is the example as written,
// with the contract's body and one call changed, http.ListenAndServe to listenAndServe
// (orchestrator.go: the address flag and the ready line the orchestrator needs). The loc claim
// counts this file only (hellobench.toml, [server.loc]); README.md lists the differences.
package main

import (
	"io"
	"log"
	"net/http"
)

func main() {
	// Hello world, the web server

	helloHandler := func(w http.ResponseWriter, req *http.Request) {
		io.WriteString(w, "Hello, World!")
	}

	http.HandleFunc("/", helloHandler)
	log.Fatal(listenAndServe(":8080", nil))
}
