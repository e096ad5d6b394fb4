package api

import (
	"log/slog"
	"time"

	"github.com/chainhound/chainhound/watchlists"
	"golang.org/x/time/rate"
)

// The default websocket caps (docs/interface.md, api.max_websockets_per_key).
const (
	DefaultMaxWebsocketsPerKey    = 100
	DefaultMaxWebsocketsPerTenant = 1000
)

// Config tunes the server. Zero fields take the defaults below.
type Config struct {
	// MaxBodyBytes caps request bodies (default 1 MiB); larger is 413.
	MaxBodyBytes int64
	// Rate and Burst limit requests per key (default 20/s, burst 40);
	// beyond is 429 with Retry-After.
	Rate  rate.Limit
	Burst int
	// AuthFailureRate and AuthFailureBurst limit failed authentications
	// per source address (default 1 per 10 s after a burst of 10); beyond
	// is 429 with Retry-After, before the key is looked up.
	AuthFailureRate  rate.Limit
	AuthFailureBurst int
	// MaxWebsocketsPerKey and MaxWebsocketsPerTenant cap the open
	// websockets of one key (default 100) and of one tenant's keys
	// together (default 1000); beyond is 429 before the upgrade.
	MaxWebsocketsPerKey    int
	MaxWebsocketsPerTenant int
	// AllowedOrigins are the browser origins (scheme://host[:port]) that
	// may open the websocket besides the API's own; "*" allows any.
	// Requests without an Origin header (non-browser clients) are allowed.
	AllowedOrigins []string
	// Networks names each chain's network, for address validation
	// (default mainnet).
	Networks watchlists.Networks
	// DegradedLag is the lag in blocks past which /healthz says degraded
	// (default 10).
	DegradedLag uint64
	// Websocket: queue per subscriber (default 256 alerts), largest
	// frame accepted from a client (default 4 KiB), ping interval
	// (default 30 s), pong wait (default 60 s), write deadline (default
	// 10 s), alerts the hub keeps for joining subscribers (default 4096).
	QueueSize    int
	MaxFrame     int64
	PingInterval time.Duration
	PongWait     time.Duration
	WriteWait    time.Duration
	RingSize     int
	// Logger (default slog.Default()).
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.Rate <= 0 {
		c.Rate = 20
	}
	if c.Burst <= 0 {
		c.Burst = 40
	}
	if c.AuthFailureRate <= 0 {
		c.AuthFailureRate = rate.Every(10 * time.Second)
	}
	if c.AuthFailureBurst <= 0 {
		c.AuthFailureBurst = 10
	}
	if c.MaxWebsocketsPerKey <= 0 {
		c.MaxWebsocketsPerKey = DefaultMaxWebsocketsPerKey
	}
	if c.MaxWebsocketsPerTenant <= 0 {
		c.MaxWebsocketsPerTenant = DefaultMaxWebsocketsPerTenant
	}
	if c.DegradedLag == 0 {
		c.DegradedLag = 10
	}
	if c.QueueSize <= 0 {
		c.QueueSize = 256
	}
	if c.MaxFrame <= 0 {
		c.MaxFrame = 4096
	}
	if c.PingInterval <= 0 {
		c.PingInterval = 30 * time.Second
	}
	if c.PongWait <= 0 {
		c.PongWait = 60 * time.Second
	}
	if c.WriteWait <= 0 {
		c.WriteWait = 10 * time.Second
	}
	if c.RingSize <= 0 {
		c.RingSize = 4096
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}
