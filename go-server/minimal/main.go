// go-minimal-server is net/http's own hello world (the package's ExampleListenAndServe,
// "Hello world, the web server"), with defaults everywhere. README.md lists the lines that
// differ from the example and why: the route and body the contract asks for, and the lines the
// orchestrator needs (an address flag and the ready line with the port actually bound).
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
)

func main() {
	// Hello world, the web server

	helloHandler := func(w http.ResponseWriter, req *http.Request) {
		io.WriteString(w, "Hello, World!")
	}

	http.HandleFunc("/", helloHandler)

	// For the orchestrator: where to listen, and a ready line naming the port bound (it asks
	// for port 0), in place of log.Fatal(http.ListenAndServe(":8080", nil)).
	addr := flag.String("addr", ":8080", "address to listen on")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("listening on", ln.Addr())
	log.Fatal(http.Serve(ln, nil))
}
