// Package config reads and validates chainhound's YAML configuration
// (docs/interface.md, "Configuration file"). Every problem is reported as one
// error naming the file, the line and the key, before anything starts.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/chainhound/chainhound/tracer"
	"gopkg.in/yaml.v3"
)

// Config is the whole configuration.
type Config struct {
	DataDir string `yaml:"data_dir"`
	API     API    `yaml:"api"`
	Store   Store  `yaml:"store"`
	Chains  Chains `yaml:"chains"`
	Tracer  Tracer `yaml:"tracer"`
	Alerts  Alerts `yaml:"alerts"`
	Index   Index  `yaml:"index"`
	Screen  Screen `yaml:"screen"`

	Webhooks Webhooks `yaml:"webhooks"`
}

// Webhooks configures outbound webhook deliveries.
type Webhooks struct {
	// AllowPrivate lists CIDRs that webhooks may reach although they are
	// loopback, private, link-local or otherwise special (internal
	// receivers); everything else of that kind is refused.
	AllowPrivate []string `yaml:"allow_private"`

	// AllowPrivatePrefixes is AllowPrivate parsed.
	AllowPrivatePrefixes []netip.Prefix `yaml:"-"`
}

// API is the HTTP listener.
type API struct {
	Listen  string   `yaml:"listen"`
	Origins []string `yaml:"origins"` // browser origins allowed on the websocket
	// Open websockets allowed per key (default 100) and per tenant, all
	// its keys together (default 1000).
	MaxWebsocketsPerKey    int `yaml:"max_websockets_per_key"`
	MaxWebsocketsPerTenant int `yaml:"max_websockets_per_tenant"`
	// PublicURL is where people reach the web console (behind a proxy,
	// say); notification channels link each alert to
	// <public_url>/#/alerts/<seq>. Empty: messages carry no link.
	PublicURL string `yaml:"public_url"`
}

// Store selects the backend.
type Store struct {
	Backend string `yaml:"backend"` // pebble | redis
	URL     string `yaml:"url"`
	// Lease is how long a replica's lease on a chain outlives a replica
	// that stopped renewing it (Redis only; renewed every third of it).
	Lease time.Duration `yaml:"lease"`
	// Sentinel, when set, finds the Redis master through Redis Sentinel
	// and follows its failovers (url then gives only the credentials,
	// the database and TLS; its host is not used).
	Sentinel *Sentinel `yaml:"sentinel"`
	// WaitReplicas is how many Redis replicas must hold a block's write
	// (WAIT) before the block is acknowledged, so that a promoted replica
	// has it; 0: none (docs/decisions/0020).
	WaitReplicas int `yaml:"wait_replicas"`
	// WaitTimeout bounds that WAIT; a write the replicas did not confirm
	// in time is not acknowledged (default DefaultWaitTimeout).
	WaitTimeout time.Duration `yaml:"wait_timeout"`
}

// Sentinel names the master Redis Sentinel watches and where the
// sentinels listen.
type Sentinel struct {
	Master string   `yaml:"master"`
	Addrs  []string `yaml:"addrs"` // host:port of each sentinel
	// Password of the sentinels themselves (not of Redis: store.url).
	Password string `yaml:"password"`
}

// DefaultWaitTimeout is store.wait_timeout's default.
const DefaultWaitTimeout = time.Second

// DefaultLease and MinLease bound store.lease.
const (
	DefaultLease = 10 * time.Second
	MinLease     = 300 * time.Millisecond
)

// Chains holds the followed chains; a nil chain is not followed.
type Chains struct {
	Ethereum *Ethereum `yaml:"ethereum"`
	Bitcoin  *Bitcoin  `yaml:"bitcoin"`
}

// Ethereum configures the Ethereum follower.
type Ethereum struct {
	Network       string        `yaml:"network"`
	RPC           string        `yaml:"rpc"`
	Confirmations int           `yaml:"confirmations"`
	StartBlock    StartBlock    `yaml:"start_block"`
	Traces        string        `yaml:"traces"` // auto | on | off
	Mempool       bool          `yaml:"mempool"`
	PollInterval  time.Duration `yaml:"poll_interval"`
}

// Bitcoin configures the Bitcoin follower.
type Bitcoin struct {
	Network       string        `yaml:"network"`
	RPC           string        `yaml:"rpc"`
	RPCUser       string        `yaml:"rpc_user"`
	RPCPassword   string        `yaml:"rpc_password"`
	RPCCookie     string        `yaml:"rpc_cookie"`
	Confirmations int           `yaml:"confirmations"`
	StartBlock    StartBlock    `yaml:"start_block"`
	Mempool       bool          `yaml:"mempool"`
	PollInterval  time.Duration `yaml:"poll_interval"`
}

// StartBlock is "latest" or a height.
type StartBlock struct {
	Latest bool
	Number uint64
}

func (s StartBlock) String() string {
	if s.Latest {
		return "latest"
	}
	return strconv.FormatUint(s.Number, 10)
}

// Tracer configures the taint engine.
type Tracer struct {
	Policy       string            `yaml:"policy"`
	Dust         map[string]string `yaml:"dust"` // chain → smallest-unit integer
	MaxHops      int               `yaml:"max_hops"`
	MinShare     float64           `yaml:"min_share"`
	Drain        Drain             `yaml:"drain"`
	AutoIncident bool              `yaml:"auto_incident"`
	// ConfidenceFloor, in (0, 1], for incidents that set none: a mixer
	// withdrawal linked with a lower confidence is reported, but its
	// taint goes no further. Default tracer.DefaultConfidenceFloor.
	ConfidenceFloor float64 `yaml:"confidence_floor"`

	// DustAmounts is Dust parsed.
	DustAmounts map[string]*big.Int `yaml:"-"`
}

// Drain says when treasury outflows amount to a drain.
type Drain struct {
	Amount map[string]string `yaml:"amount"` // chain → smallest-unit integer
	Share  float64           `yaml:"share"`  // of the treasury's balance
	Window time.Duration     `yaml:"window"`

	Amounts map[string]*big.Int `yaml:"-"`
}

// Index configures the transfer index: what the daemon keeps of every
// block it follows, so that late incidents and traces need no archive
// node (docs/decisions/0014-transfer-index.md).
type Index struct {
	// Retain is how long blocks are kept: a duration of block time ("30d",
	// "72h", "90m"), a number of blocks of each chain ("50000 blocks"), or
	// "off" for no index. Default 30d.
	Retain string `yaml:"retain"`

	// Retain parsed: Off, or For (block time) or Blocks.
	Off    bool          `yaml:"-"`
	For    time.Duration `yaml:"-"`
	Blocks uint64        `yaml:"-"`
}

// Screen configures address screening (docs/decisions/0022-screening.md).
type Screen struct {
	// Hops is how far back over the transfer index indirect exposure is
	// followed (default 2; 0 for direct exposure only).
	Hops *int `yaml:"hops"`
	// Risk replaces rows of the risk table: per category (dprk,
	// sanctioned, stolen, mixer, bridge) the level at 0 hops, 1 hop, ….
	Risk map[string][]string `yaml:"risk"`
}

// DefaultIndexRetain is the transfer index's default retention: a month
// of Ethereum mainnet is about 6–7 GB (docs/decisions/0014-transfer-index.md).
const DefaultIndexRetain = "30d"

// parseRetain reads index.retain.
func (x *Index) parseRetain() error {
	s := strings.TrimSpace(x.Retain)
	x.Off, x.For, x.Blocks = false, 0, 0
	switch {
	case s == "off":
		x.Off = true
		return nil
	case strings.HasSuffix(s, "blocks") || strings.HasSuffix(s, "block"):
		num := strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(s, "blocks"), "block"))
		n, err := strconv.ParseUint(num, 10, 64)
		if err != nil || n == 0 {
			return fmt.Errorf("want a positive number of blocks such as \"50000 blocks\", got %q", x.Retain)
		}
		x.Blocks = n
		return nil
	case strings.HasSuffix(s, "d") && !strings.ContainsAny(strings.TrimSuffix(s, "d"), "hmsuµnd"):
		days, err := strconv.ParseFloat(strings.TrimSuffix(s, "d"), 64)
		if err != nil || !(days > 0) || days > 100*365 {
			return fmt.Errorf("want a positive number of days such as 30d, got %q", x.Retain)
		}
		x.For = time.Duration(days * 24 * float64(time.Hour))
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return fmt.Errorf("want a duration (30d, 72h), a number of blocks (\"50000 blocks\") or off, got %q", x.Retain)
	}
	x.For = d
	return nil
}

// Alerts configures the alert log.
type Alerts struct {
	Retention Retention `yaml:"retention"`
}

// Retention bounds the alert log; zero means unbounded.
type Retention struct {
	MaxCount uint64        `yaml:"max_count"`
	MaxAge   time.Duration `yaml:"max_age"`
}

// Error is a configuration error: file, line, key and why.
type Error struct {
	File string
	Line int
	Key  string
	Msg  string
}

// Error is on one line whatever the file holds: a key with a line break
// or a control character in it is quoted, and such characters in the
// message escaped.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(escaped(e.File))
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Key != "" {
		key := e.Key
		if strings.IndexFunc(key, notPrintable) >= 0 {
			key = strconv.Quote(key)
		}
		fmt.Fprintf(&b, ": %s", key)
	}
	fmt.Fprintf(&b, ": %s", escaped(e.Msg))
	return b.String()
}

func notPrintable(r rune) bool { return !unicode.IsPrint(r) }

// escaped is s with its unprintable characters escaped as Go would quote
// them.
func escaped(s string) string {
	if strings.IndexFunc(s, notPrintable) < 0 {
		return s
	}
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

// The default websocket caps (docs/interface.md: api.max_websockets_per_key).
const (
	DefaultMaxWebsocketsPerKey    = 100
	DefaultMaxWebsocketsPerTenant = 1000
	// MaxWebsockets bounds both caps: a cap above it is a typo.
	MaxWebsockets = 1_000_000
)

// Default returns the configuration used when no file is given.
func Default() *Config {
	c := &Config{}
	c.applyDefaults()
	return c
}

// Load reads, checks and returns the configuration in file.
func Load(file string) (*Config, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, &Error{File: file, Msg: fmt.Sprintf("cannot read: %v", errors.Unwrap(err))}
	}
	return Parse(file, data)
}

// Parse checks and decodes data, naming file in errors.
func Parse(file string, data []byte) (*Config, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, yamlError(file, err, data)
	}
	if err := oneDocument(file, dec, data); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return nil, &Error{File: file, Line: 1, Msg: "file is empty"}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &Error{File: file, Line: root.Line, Msg: "not a YAML mapping of configuration keys"}
	}
	if err := checkKeys(file, root, "", schema); err != nil {
		return nil, err
	}
	c := &Config{}
	if err := root.Decode(c); err != nil {
		return nil, decodeError(file, root, err)
	}
	if err := checkNumbers(file, root, c); err != nil {
		return nil, err
	}
	if err := checkGiven(file, root, c); err != nil {
		return nil, err
	}
	c.applyDefaults()
	if err := c.validate(file, root); err != nil {
		return nil, err
	}
	return c, nil
}

// oneDocument refuses a second YAML document after the first: its keys
// would be silently ignored.
func oneDocument(file string, dec *yaml.Decoder, data []byte) error {
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
		return nil
	case err != nil:
		return yamlError(file, err, data)
	}
	return &Error{File: file, Line: next.Line, Msg: "a second YAML document (after ---): put every key in one document"}
}

// checkGiven refuses keys given explicitly with the zero value that the
// defaults would silently replace.
func checkGiven(file string, root *yaml.Node, c *Config) error {
	if n := find(root, "data_dir"); n != nil && strings.TrimSpace(c.DataDir) == "" {
		return &Error{File: file, Line: n.Line, Key: "data_dir", Msg: "must not be empty (leave the key out for ./chainhound-data)"}
	}
	if n := find(root, "tracer.confidence_floor"); n != nil && c.Tracer.ConfidenceFloor == 0 {
		return &Error{File: file, Line: n.Line, Key: "tracer.confidence_floor", Msg: fmt.Sprintf("want a fraction in (0, 1], got %q", n.Value)}
	}
	return nil
}

var yamlLine = func(msg string) (int, string) {
	// yaml.v3 messages look like "yaml: line 3: mapping values are not allowed".
	rest := strings.TrimPrefix(msg, "yaml: ")
	rest = strings.TrimPrefix(rest, "unmarshal errors:\n  ")
	if l, ok := strings.CutPrefix(rest, "line "); ok {
		num, tail, _ := strings.Cut(l, ": ")
		if n, err := strconv.Atoi(num); err == nil {
			return n, tail
		}
	}
	return 0, rest
}

// yamlError is err of yaml.v3 as an Error on one line, placed on its line
// in data.
func yamlError(file string, err error, data []byte) error {
	if err.Error() == "EOF" {
		return &Error{File: file, Line: 1, Msg: "file is empty"}
	}
	line, msg := yamlLine(err.Error())
	if first, _, ok := strings.Cut(msg, "\n"); ok {
		msg = first
	}
	if line == 0 {
		line = unplacedLine(msg, data)
	}
	return &Error{File: file, Line: line, Msg: "not valid YAML: " + msg}
}

// unmarshalMsg is what yaml.v3 says of a value of the wrong type.
var unmarshalMsg = regexp.MustCompile("(?s)^cannot unmarshal !!(\\w+)(?: `(.*)`)? into (.+)$")

// decodeError turns an error of decoding the checked node tree into the
// configuration into one that names the key, as every other error does:
// "c.yaml:4: chains.ethereum.confirmations: want a whole number, got
// "many"". Where the line does not tell one value (two alike on a line,
// an anchor used elsewhere) it says what yaml.v3 said, on one line.
func decodeError(file string, root *yaml.Node, err error) error {
	first := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		first = te.Errors[0]
	}
	line, msg := yamlLine("yaml: " + first)
	if line == 0 {
		// A tag that does not fit its value (!!float nan) names no line.
		if f, ok := firstWithValue(root, "", msg); ok {
			return &Error{File: file, Line: f.node.Line, Key: f.key, Msg: "not valid YAML: " + firstLine(msg)}
		}
		return &Error{File: file, Line: root.Line, Msg: "not valid YAML: " + firstLine(msg)}
	}
	m := unmarshalMsg.FindStringSubmatch(msg)
	if m == nil {
		// A value's own check: "start_block: why", found by its key.
		name, why, ok := strings.Cut(msg, ": ")
		found := valuesAt(root, line, "", func(key string, _ *yaml.Node) bool {
			return ok && key[strings.LastIndex(key, ".")+1:] == name
		})
		if len(found) != 1 {
			return yamlError(file, err, nil)
		}
		return &Error{File: file, Line: line, Key: found[0].key, Msg: firstLine(why)}
	}
	tag, want, into := m[1], m[2], m[3]
	kind := map[string]yaml.Kind{"seq": yaml.SequenceNode, "map": yaml.MappingNode}[tag]
	if kind == 0 {
		kind = yaml.ScalarNode
	}
	found := valuesAt(root, line, "", func(_ string, v *yaml.Node) bool {
		return v.Kind == kind && matches(v.Value, want)
	})
	if len(found) != 1 || found[0].node.Anchor != "" {
		return yamlError(file, err, nil)
	}
	key, node := found[0].key, found[0].node
	expect := map[string]string{
		"int": "a whole number", "int64": "a whole number", "uint64": "a whole number",
		"float64": "a number", "bool": "true or false", "string": "a string",
		"time.Duration": "a duration such as 500ms, 2s or 1h",
		"[]string":      "a list of strings",
	}[into]
	if expect == "" {
		expect = "a value of type " + into
		if strings.HasPrefix(into, "map[") || strings.HasPrefix(into, "config.") {
			expect = "a mapping of keys"
		}
	}
	got := fmt.Sprintf("%q", node.Value)
	if kind != yaml.ScalarNode {
		got = map[yaml.Kind]string{yaml.SequenceNode: "a list", yaml.MappingNode: "a mapping"}[kind]
	}
	return &Error{File: file, Line: line, Key: key, Msg: fmt.Sprintf("want %s, got %s", expect, got)}
}

type foundValue struct {
	key  string
	node *yaml.Node
}

// valuesAt returns the values below n that start on line and satisfy ok,
// with their dotted paths (list items named by index: origins[1]).
func valuesAt(n *yaml.Node, line int, path string, ok func(key string, v *yaml.Node) bool) []foundValue {
	var out []foundValue
	visit := func(key string, v *yaml.Node) {
		if v.Line == line && ok(key, v) {
			out = append(out, foundValue{key, v})
		}
		out = append(out, valuesAt(v, line, key, ok)...)
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			visit(join(path, n.Content[i].Value), n.Content[i+1])
		}
	case yaml.SequenceNode:
		for i, v := range n.Content {
			visit(fmt.Sprintf("%s[%d]", path, i), v)
		}
	}
	return out
}

// matches reports whether a scalar's value is the one yaml.v3 quoted
// (at most 7 bytes and "..." for a longer one; "" matches any).
func matches(value, want string) bool {
	if prefix, cut := strings.CutSuffix(want, "..."); cut {
		return strings.HasPrefix(value, prefix)
	}
	return want == "" || value == want
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

func (c *Config) applyDefaults() {
	if c.DataDir == "" {
		c.DataDir = "./chainhound-data"
	}
	if c.API.Listen == "" {
		c.API.Listen = "127.0.0.1:8080"
	}
	// An explicit 0 or less is refused by validate (which reads the
	// file's value); absent means the default.
	if c.API.MaxWebsocketsPerKey <= 0 {
		c.API.MaxWebsocketsPerKey = DefaultMaxWebsocketsPerKey
	}
	if c.API.MaxWebsocketsPerTenant <= 0 {
		c.API.MaxWebsocketsPerTenant = DefaultMaxWebsocketsPerTenant
	}
	if c.Store.Backend == "" {
		c.Store.Backend = "pebble"
	}
	if c.Store.Lease == 0 {
		c.Store.Lease = DefaultLease
	}
	if c.Store.WaitTimeout == 0 {
		c.Store.WaitTimeout = DefaultWaitTimeout
	}
	if c.Index.Retain == "" {
		c.Index.Retain = DefaultIndexRetain
		_ = c.Index.parseRetain()
	}
	if c.Tracer.Policy == "" {
		c.Tracer.Policy = "haircut"
	}
	if c.Tracer.MaxHops == 0 {
		c.Tracer.MaxHops = 12
	}
	if c.Tracer.ConfidenceFloor == 0 {
		c.Tracer.ConfidenceFloor = tracer.DefaultConfidenceFloor
	}
	if c.Tracer.Drain.Window == 0 {
		c.Tracer.Drain.Window = time.Hour
	}
	if e := c.Chains.Ethereum; e != nil {
		if e.Traces == "" {
			e.Traces = "auto"
		}
		if e.PollInterval == 0 {
			e.PollInterval = 2 * time.Second
		}
		if e.Network == "" {
			e.Network = "mainnet"
		}
	}
	if b := c.Chains.Bitcoin; b != nil {
		if b.Network == "" {
			b.Network = "mainnet"
		}
		if b.PollInterval == 0 {
			b.PollInterval = 10 * time.Second
			if b.Network == "regtest" || b.Network == "simnet" {
				b.PollInterval = 2 * time.Second
			}
		}
	}
}

// MarshalYAML writes "latest" or the height, as UnmarshalYAML reads them.
func (s StartBlock) MarshalYAML() (any, error) {
	if s.Latest {
		return "latest", nil
	}
	return s.Number, nil
}

// UnmarshalYAML accepts "latest" or a non-negative integer.
func (s *StartBlock) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: start_block: want latest or a block number", n.Line)
	}
	if n.Value == "latest" || n.Value == "" {
		*s = StartBlock{Latest: true}
		return nil
	}
	v, err := strconv.ParseUint(n.Value, 10, 64)
	if err != nil {
		return fmt.Errorf("line %d: start_block: %q is neither latest nor a block number", n.Line, n.Value)
	}
	*s = StartBlock{Number: v}
	return nil
}

// fixStartBlocks lets an absent start_block mean latest.
func (c *Config) fixStartBlocks(root *yaml.Node) {
	if e := c.Chains.Ethereum; e != nil && find(root, "chains.ethereum.start_block") == nil {
		e.StartBlock = StartBlock{Latest: true}
	}
	if b := c.Chains.Bitcoin; b != nil && find(root, "chains.bitcoin.start_block") == nil {
		b.StartBlock = StartBlock{Latest: true}
	}
}

// parseURL is url.Parse that insists on a scheme and a host.
func parseURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	if u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("%q has no scheme or host", s)
	}
	return u, nil
}
