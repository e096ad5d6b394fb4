// Package api is chainhound's HTTP interface (docs/interface.md, "REST API" and
// "Websocket"): REST under /v1, the websocket alert push with resume by
// sequence, API keys with roles and tenants, /healthz and Prometheus
// /metrics.
//
// The package consumes small interfaces it declares itself (deps.go):
// Watchlist, Incidents, AlertLog, Health and the optional Tracer and
// Summarizer, and the key store of package apikey (Key, Role and
// apikey.Store live there, without HTTP, for the store backends;
// decision 0028). internal/daemon wires the real implementations.
//
// The client side is here too: Client calls the REST API with typed
// methods and one error decoder (a non-2xx answer is a *ResponseError
// carrying the body's code, message and field), and Tail follows the
// websocket; cmd/chainhound uses both.
//
// # Who sees what
//
//	role          watchlist                 incidents            alerts                   trace  keys
//	admin         all; any owner            all                  all                      yes    yes
//	company       own treasury entries      own (open, read,     Audience has its tenant  no     no
//	                                        close)
//	exchange      own exchange entries      read those its       Audience has its tenant  no     no
//	                                        alerts cite (a narrow
//	                                        view), no list
//	investigator  no (403)                  read all, no writes  all                      yes    no
//
// Every role triages the alerts it sees, for its own tenant alone.
//
// Investigators read every alert: the contract gives them "traces and
// alerts" without a tenant, and their work (following funds across
// exchanges and victims) needs the whole stream. They do not see
// watchlist entries, which reveal tenants' wallets.
//
// An entry a company or exchange key adds is untrusted: it raises alerts
// for its tenant alone and never changes how taint is followed or what
// another tenant receives; only an admin's entries are trusted, and a
// tenant may not replace or remove one (409). docs/security.md has the
// whole rule.
//
// /healthz, /metrics, /v1/openapi.json (docs/openapi.json, the
// document of every route; docs/asyncapi.yaml for the websocket) and the
// web console's page and assets (/, /assets/{file}: console.go, the
// embedded bundle of package web, which signs in with a key and then
// calls the API like any client) need no key. A browser gives the
// websocket its key as the subprotocol "chainhound.bearer.KEY"
// (wsProtocolKey). No key or a bad or revoked key is 401 (and, after 10 failures from one
// address, 429 for that address: authlimit.go); a role that may not use a
// verb is 403; another tenant's resource is 404, exactly as if it did not
// exist; a known path with another method is 405 with Allow.
//
// # Websocket
//
// One hub goroutine owns the subscriber set and encodes each alert once;
// every subscriber gets the same frame bytes. The hub reads the alert log
// with alerts.Log.FollowBatches (backlog, then live; a drop pages the
// store again); connections never subscribe to the log themselves. A connection has a reader
// goroutine and a writer goroutine only while it has something to write
// (see api/README.md). The handshake first pages the log from since=N,
// then joins the hub, which replays from a ring of recent alerts whatever
// was appended meanwhile: no gap, no duplicate. The hub never blocks: a
// subscriber whose queue is full is closed with code 4008 and the reason
// "slow consumer; resume with since=<last seq>". wslimits.go counts the
// sockets of each key and tenant (the caps, 429 before the upgrade) and
// closes a key's sockets with 4001 when the API revokes it.
package api
