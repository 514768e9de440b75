package main

import (
	"io"
	"slices"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantErr    bool
		sizes      []int
		background []int
		edits      int
		skipEnvoy  bool
	}{
		{name: "defaults", sizes: []int{100, 1000, 10000}, background: []int{0, 1000}, edits: 20},
		{name: "lists with spaces", args: []string{"-sizes", "5, 50,", "-background", "0", "-edits", "3"}, sizes: []int{5, 50}, background: []int{0}, edits: 3},
		{name: "skip envoy", args: []string{"-skip-envoy"}, sizes: []int{100, 1000, 10000}, background: []int{0, 1000}, edits: 20, skipEnvoy: true},
		{name: "negative size", args: []string{"-sizes", "-1"}, wantErr: true},
		{name: "not a number", args: []string{"-background", "many"}, wantErr: true},
		{name: "stray argument", args: []string{"extra"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseFlags(tt.args, io.Discard)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseFlags(%q) error = %v, want error %v", tt.args, err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if !slices.Equal(cfg.sizes, tt.sizes) || !slices.Equal(cfg.background, tt.background) || cfg.edits != tt.edits || cfg.skipEnvoy != tt.skipEnvoy {
				t.Errorf("parseFlags(%q) = %+v", tt.args, cfg)
			}
			if cfg.minTime != time.Second || cfg.poll != 300*time.Millisecond {
				t.Errorf("parseFlags(%q): benchtime %s, poll %s", tt.args, cfg.minTime, cfg.poll)
			}
		})
	}
}
