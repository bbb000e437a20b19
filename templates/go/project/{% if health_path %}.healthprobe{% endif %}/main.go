// healthprobe is the image's HEALTHCHECK: it asks the service on 127.0.0.1:$PORT (or on the port given
// after the path) for the path given as its argument, and exits 0 on any 2xx answer and 1 otherwise. It speaks just enough HTTP/1.0 to
// do that with the net package alone, so it stays small and needs no shell and no curl in the image.
package main

import (
	"bufio"
	"errors"
	"net"
	"os"
	"strings"
	"time"
)

func main() {
	if len(os.Args) < 2 || len(os.Args) > 3 || !strings.HasPrefix(os.Args[1], "/") {
		os.Stderr.WriteString("usage: healthprobe /path [port]\n")
		os.Exit(2)
	}
	port := os.Getenv("PORT")
	if len(os.Args) == 3 {
		port = os.Args[2]
	}
	if err := probe(net.JoinHostPort("127.0.0.1", port), os.Args[1]); err != nil {
		os.Stderr.WriteString("unhealthy: " + err.Error() + "\n")
		os.Exit(1)
	}
}

func probe(address, path string) error {
	conn, err := net.DialTimeout("tcp", address, 2*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(2 * time.Second)); err != nil {
		return err
	}
	request := "GET " + path + " HTTP/1.0\r\nHost: " + address + "\r\nUser-Agent: healthprobe\r\n\r\n"
	if _, err := conn.Write([]byte(request)); err != nil {
		return err
	}
	status, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	// e.g. "HTTP/1.1 204 No Content": any 2xx is healthy.
	fields := strings.Fields(status)
	if len(fields) < 2 || !strings.HasPrefix(fields[0], "HTTP/") || len(fields[1]) != 3 || fields[1][0] != '2' {
		return errors.New("answered " + strings.TrimSpace(status))
	}
	return nil
}
