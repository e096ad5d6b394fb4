package main

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/chainhound/chainhound/chains"
	"github.com/chainhound/chainhound/watchlists"
)

// Sources, in priority order: when two name the same (chain, address,
// kind), the first one's row is kept. Only permissively licensed or
// US-government sources; never the Dune spellbook (BSL), watchyourback
// (GPL) or tayvano (no licence).
const (
	srcOFAC       = "OFAC SDN advanced XML 2025-11-19 (US-gov)"
	srcFBI        = "FBI PSA I-022625-PSA via safe-global/safe-transaction-service@16e6886c BANNED_EOAS (MIT)"
	srcTornado    = "tornadocash/tornado-classic-ui@a83fae07 networkConfig.js (MIT)"
	srcThorchain  = "LucaWilliams4831/thornode@53961924 x/thorchain/router_upgrade_info.go (MIT)"
	srcEtherscan  = "brianleect/etherscan-labels@923aba72 (MIT)"
	srcGraphSense = "graphsense/graphsense-tagpacks@29ff93c8 packs/%s.yaml (MIT)"
)

// Etherscan tags that name an exchange; names that are its tokens or
// contracts rather than its wallets are left out.
var (
	etherscanExchangeTags = map[string]bool{
		"binance": true, "binance-deposit": true, "bitfinex": true, "bithumb": true, "bitstamp": true,
		"bittrex": true, "coinbase": true, "crypto-com": true, "ftx": true, "gate-io": true, "gemini": true,
		"hotbit": true, "huobi": true, "kraken": true, "kucoin": true, "okx": true, "poloniex": true, "upbit": true,
	}
	notAWallet = regexp.MustCompile(`Token|Wrapped|Beacon|Eth2|Swap|Staking|Recovery|Contract|Depositor|: Deployer|Launchpad|Proxy|Vesting|Airdrop`)
)

// GraphSense packs used, by what they say.
var (
	graphsenseExchangePacks = map[string]bool{
		"binance": true, "chaininfo": true, "walletexplorer": true, "etherscan-wordcloud-exchange": true, "richest_addresses": true,
	}
	graphsenseMixerPacks = map[string]bool{
		"mixing_fc2021": true, "blender_io": true, "etherscan-wordcloud-mixing_service": true, "tornado_cash": true,
		"walletexplorer": true, "interpol-real_services": true, "sinbad_io": true,
	}
	// DPRK-attributed (FBI 2023 list, Lazarus, the Ronin bridge exploiter).
	graphsenseStolenPacks = map[string]bool{"lazarus": true, "lazarus2": true, "ronin_bridge": true}
)

type row struct {
	chain    chains.Chain
	addr     string
	kind     watchlists.Kind
	label    string
	source   string
	note     string
	protocol string
}

type builder struct {
	rows    []row
	seen    map[string]bool
	skipped []string
}

func (b *builder) add(chain chains.Chain, addr string, kind watchlists.Kind, label, source, note string) {
	b.addProtocol(chain, addr, kind, label, source, note, "")
}

// addProtocol adds a mixer or bridge row that names how the tracer follows
// taint through it (watchlists.Protocols).
func (b *builder) addProtocol(chain chains.Chain, addr string, kind watchlists.Kind, label, source, note, protocol string) {
	norm, err := watchlists.Normalize(chain, "mainnet", strings.TrimSpace(addr))
	if err != nil {
		b.skipped = append(b.skipped, fmt.Sprintf("%s: %v", source, err))
		return
	}
	key := string(chain) + "/" + norm + "/" + string(kind)
	if b.seen[key] {
		return
	}
	b.seen[key] = true
	clean := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	b.rows = append(b.rows, row{chain, norm, kind, clean(label), source, clean(note), protocol})
}

// curatedBridges are the bridge contracts transcribed from the protocols'
// own repositories (deployment manifests, the OP Stack registry): the
// shared data has no LI.FI, Stargate, current Across SpokePool, Base or
// OptimismPortal address.
//
//go:embed bridges.csv
var curatedBridges []byte

func readCSV(path string) ([]map[string]string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return readCSVBytes(path, raw)
}

func readCSVBytes(path string, raw []byte) ([]map[string]string, error) {
	r := csv.NewReader(bytes.NewReader(raw))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("%s: empty", path)
	}
	var out []map[string]string
	for _, rec := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			if i < len(rec) {
				m[h] = rec[i]
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// build reads the sources under data and returns the label files by name.
func build(data string) (map[string][]byte, []string, error) {
	b := &builder{seen: map[string]bool{}}
	p := func(parts ...string) string { return filepath.Join(append([]string{data}, parts...)...) }

	// Sanctioned: every ETH and XBT address of the OFAC SDN list.
	ofac, err := readCSV(p("ofac", "sdn_advanced_2025-11-19_digital_currency_addresses.csv"))
	if err != nil {
		return nil, nil, err
	}
	for _, r := range ofac {
		if chain := watchlists.OFACAssetChain(r["asset"]); chain != "" {
			b.add(chain, r["address"], watchlists.Sanctioned, r["party_name"], srcOFAC, "OFAC SDN profile "+r["profile_id"])
		}
	}

	// Stolen (DPRK-attributed): the FBI's Bybit list.
	fbi, err := readCSV(p("dprk", "bybit_fbi_psa250226_eth.csv"))
	if err != nil {
		return nil, nil, err
	}
	for _, r := range fbi {
		b.add(chains.Chain(r["chain"]), r["address"], watchlists.Stolen, r["incident"], srcFBI, "DPRK (TraderTraitor)")
	}

	// Mixers: the Tornado Cash mainnet pools (every denomination, ETH and
	// tokens) and router; deposits through the router reach a pool in the
	// same transaction.
	tornado, err := readCSV(p("tornado", "tornado_contracts_from_classic_ui.csv"))
	if err != nil {
		return nil, nil, err
	}
	for _, r := range tornado {
		if r["chain_id"] != "1" {
			continue
		}
		switch {
		case r["kind"] == "instance":
			b.addProtocol(chains.Ethereum, r["address"], watchlists.Mixer, "Tornado Cash "+r["name"]+" pool", srcTornado, "", "tornado")
		case strings.HasPrefix(r["name"], "tornado-router."):
			b.addProtocol(chains.Ethereum, r["address"], watchlists.Mixer, "Tornado Cash Router", srcTornado, "", "tornado")
		}
	}

	// Bridges: the THORChain routers on Ethereum.
	thor, err := readCSV(p("labels", "curated", "thorchain_routers.csv"))
	if err != nil {
		return nil, nil, err
	}
	for _, r := range thor {
		if r["chain"] == "ethereum" {
			b.addProtocol(chains.Ethereum, r["address"], watchlists.Bridge, r["label"], srcThorchain, "", "thorchain")
		}
	}

	// Bridges the shared data lacks (or names less exactly), each from the
	// protocol's own repository: bridges.csv, rows transcribed with their
	// source file and commit.
	curated, err := readCSVBytes("bridges.csv", curatedBridges)
	if err != nil {
		return nil, nil, err
	}
	for _, r := range curated {
		b.addProtocol(chains.Ethereum, r["address"], watchlists.Bridge, r["label"], r["source"], "", r["protocol"])
	}

	if err := b.etherscan(p("labels", "brianleect-etherscan-labels", "etherscan_combinedAllLabels.json")); err != nil {
		return nil, nil, err
	}
	if err := b.graphsense(p("labels", "graphsense-tagpacks", "graphsense_selected_tags.csv")); err != nil {
		return nil, nil, err
	}
	return b.files(), b.skipped, nil
}

func (b *builder) etherscan(path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var all map[string]struct {
		Name   string   `json:"name"`
		Labels []string `json:"labels"`
	}
	if err := json.Unmarshal(raw, &all); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	addrs := make([]string, 0, len(all))
	for a := range all {
		addrs = append(addrs, a)
	}
	sort.Strings(addrs)
	for _, a := range addrs {
		v := all[a]
		tags := map[string]bool{}
		for _, l := range v.Labels {
			tags[l] = true
		}
		note := "etherscan tags: " + strings.Join(v.Labels, " ")
		for _, l := range v.Labels {
			if etherscanExchangeTags[l] && !notAWallet.MatchString(v.Name) {
				b.add(chains.Ethereum, a, watchlists.Exchange, orTag(v.Name, l), srcEtherscan, note)
				break
			}
		}
		if tags["bridge"] {
			b.addProtocol(chains.Ethereum, a, watchlists.Bridge, v.Name, srcEtherscan, note, bridgeProtocol(v.Name))
		}
		if tags["tornado-cash"] && (tags["ofac-sanctions-lists"] || tags["ethereum-mixer"]) && strings.HasPrefix(v.Name, "Tornado.Cash") {
			b.add(chains.Ethereum, a, watchlists.Mixer, v.Name, srcEtherscan, note)
		}
	}
	return nil
}

// bridgeProtocols maps the name Etherscan gives a bridge's own contracts
// ("Across Protocol: Ethereum Spoke Pool") to its protocol. Tokens a bridge
// wrapped ("USD Coin (Wormhole)") are not its contracts and get none.
var bridgeProtocols = []struct{ prefix, protocol string }{
	{"Across Protocol:", "across"},
	{"Wormhole:", "wormhole"},
	{"Stargate", "stargate"},
	{"LI.FI", "lifi"},
	{"LiFi", "lifi"},
	{"Synapse:", "synapse"},
	{"Multichain:", "multichain"},
	{"Avalanche:", "avalanche"},
	{"Arbitrum:", "arbitrum"},
	{"Arbitrum One:", "arbitrum"},
	{"Arbitrum Nova:", "arbitrum"},
	{"Optimism:", "optimism"},
	{"Base:", "base"},
	{"Chainflip", "chainflip"},
	{"THORChain Router", "thorchain"},
}

func bridgeProtocol(name string) string {
	for _, p := range bridgeProtocols {
		if strings.HasPrefix(name, p.prefix) {
			return p.protocol
		}
	}
	return ""
}

func orTag(name, tag string) string {
	if name != "" {
		return name
	}
	return tag
}

func (b *builder) graphsense(path string) error {
	rows, err := readCSV(path)
	if err != nil {
		return err
	}
	for _, r := range rows {
		chain := watchlists.TagPackChain(r["currency"])
		if chain == "" {
			continue
		}
		pack, cat := r["pack"], r["category"]
		src := fmt.Sprintf(srcGraphSense, pack)
		note := strings.TrimSpace(strings.Join([]string{prefixed("actor ", r["actor"]), prefixed("abuse ", r["abuse"])}, " "))
		switch {
		case graphsenseStolenPacks[pack]:
			b.add(chain, r["address"], watchlists.Stolen, r["label"], src, strings.TrimSpace("DPRK-attributed "+note))
		case cat == "exchange" && (graphsenseExchangePacks[pack] || strings.HasPrefix(pack, "exchange-wallets-")):
			b.add(chain, r["address"], watchlists.Exchange, r["label"], src, note)
		case cat == "mixing_service" && graphsenseMixerPacks[pack]:
			b.add(chain, r["address"], watchlists.Mixer, r["label"], src, note)
		}
	}
	return nil
}

func prefixed(p, s string) string {
	if s == "" {
		return ""
	}
	return p + s
}

// files renders one CSV per kind, rows sorted by chain then address.
func (b *builder) files() map[string][]byte {
	byKind := map[watchlists.Kind][]row{}
	for _, r := range b.rows {
		byKind[r.kind] = append(byKind[r.kind], r)
	}
	out := map[string][]byte{}
	for kind, rows := range byKind {
		sort.Slice(rows, func(i, j int) bool {
			if rows[i].chain != rows[j].chain {
				return rows[i].chain < rows[j].chain
			}
			return rows[i].addr < rows[j].addr
		})
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		w.Write([]string{"chain", "address", "label", "source", "note", "protocol"})
		for _, r := range rows {
			w.Write([]string{string(r.chain), r.addr, r.label, r.source, r.note, r.protocol})
		}
		w.Flush()
		out[string(kind)+".csv"] = buf.Bytes()
	}
	return out
}
