package main

import (
	"bytes"
	"fmt"
	"net"
	"os/exec"
	"strings"
)

// The two ranges made local inside the private network namespace: every address of them can be bound.
const (
	podNetwork  = "10.244.0.0/16"
	gatewayPool = "10.250.0.0/16"
)

// setUpNetwork brings lo up and makes the pod range and the Gateway pool local. It first checks that the
// network namespace is a new one (lo alone): the same commands in a real network would change its
// routing.
func setUpNetwork() error {
	ifaces, err := net.Interfaces()
	if err != nil {
		return fmt.Errorf("list network interfaces: %w", err)
	}
	if len(ifaces) != 1 || ifaces[0].Name != "lo" {
		return fmt.Errorf("not in a private network namespace (interfaces %v): run under unshare --net --map-root-user --fork", ifaces)
	}
	for _, args := range [][]string{
		{"link", "set", "lo", "up"},
		{"route", "add", "local", podNetwork, "dev", "lo"},
		{"route", "add", "local", gatewayPool, "dev", "lo"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
		}
	}
	return nil
}
