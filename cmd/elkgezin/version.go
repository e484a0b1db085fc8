package main

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"runtime/debug"
)

// version is set at build time: go build -ldflags "-X main.version=v42".
var version string

// buildID is the version the worker deploys as (Worker Deployment
// Versioning): BUILD_ID when set, else the -ldflags version, else the VCS
// revision Go recorded, else a hash of the binary itself, so two different
// builds never share an id.
func buildID(configured string) string {
	switch {
	case configured != "":
		return configured
	case version != "":
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		var rev, modified string
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
		if rev != "" && modified != "true" {
			return rev[:min(len(rev), 12)]
		}
	}
	return binaryHash()
}

func binaryHash() string {
	exe, err := os.Executable()
	if err != nil {
		return "unknown"
	}
	f, err := os.Open(exe)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "unknown"
	}
	return "sha-" + hex.EncodeToString(h.Sum(nil))[:12]
}
