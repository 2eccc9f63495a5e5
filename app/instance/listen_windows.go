package instance

import "net"

// listen binds a loopback TCP port: Windows has Unix sockets only since
// Windows 10 1803, and a port needs no path. Other local users can connect
// to it; the token in the lock file (readable only through the user's
// profile directory) is what lets a request through.
func listen(string) (net.Listener, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	return ln, "tcp:" + ln.Addr().String(), nil
}
