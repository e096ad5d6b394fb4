package main

import (
	"errors"
	"net"
	"net/http"
	"strings"

	"github.com/chainhound/chainhound/api"
	"github.com/urfave/cli/v2"
)

// watchAPI is a running daemon's REST API (docs/interface.md) as the
// commands call it: an api.Client whose errors cliError reports.
type watchAPI struct {
	*api.Client
	base string // Client.Base, as errors name it
}

func newWatchAPI(c *cli.Context, key string) *watchAPI {
	base := strings.TrimRight(apiURL(c), "/")
	return &watchAPI{&api.Client{Base: base, Key: key}, base}
}

// cliError is an error of api.Client as the CLI reports it: a 400 answer
// is bad input (exit 2) naming the field, a base URL that makes no
// request is --api's.
func cliError(err error) error {
	var re *api.ResponseError
	if errors.As(err, &re) && re.Status == http.StatusBadRequest {
		return usagef("%s", re.Detail())
	}
	var be *api.BaseError
	if errors.As(err, &be) {
		return usagef("--api %s: %v", be.Base, be.Err)
	}
	return err
}

// apiURL is --api, or, when it is not given, the daemon that --config
// describes (its api.listen), or the default.
func apiURL(c *cli.Context) string {
	if c.IsSet("api") || c.String("config") == "" {
		return c.String("api")
	}
	cfg, err := readWatchConfig(c)
	if err != nil || cfg.API.Listen == "" {
		return c.String("api") // a bad file is reported by what reads it next
	}
	host, port, err := net.SplitHostPort(cfg.API.Listen)
	if err != nil {
		return c.String("api")
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1" // listening on every address: this machine's is one
	}
	return "http://" + net.JoinHostPort(host, port)
}
