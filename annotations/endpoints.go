package annotations

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// EndpointsAnnotation lists static endpoints of a Service ("host:port,host:port"), used by every port of
// the Service instead of EndpointSlices. It lets standalone mode point a Service at local processes.
const EndpointsAnnotation = Prefix + "endpoints"

// HostPort is one static endpoint.
type HostPort struct {
	Host string
	Port uint32
}

// ParseEndpoints parses the value of EndpointsAnnotation.
func ParseEndpoints(v string) ([]HostPort, error) {
	var out []HostPort
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		host, port, err := net.SplitHostPort(part)
		if err != nil {
			return nil, fmt.Errorf("%s: %q: %w", EndpointsAnnotation, part, err)
		}
		n, err := strconv.ParseUint(port, 10, 16)
		if err != nil || n == 0 || host == "" {
			return nil, fmt.Errorf("%s: %q: want host:port with a port from 1 to 65535", EndpointsAnnotation, part)
		}
		out = append(out, HostPort{Host: host, Port: uint32(n)})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no endpoints in %q", EndpointsAnnotation, v)
	}
	return out, nil
}
