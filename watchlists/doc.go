// Package watchlists holds who owns which address and which addresses
// matter: entries (treasury, exchange, mixer, bridge, sanctioned, stolen,
// custom), their validation and normalisation (Normalize, Display), the
// in-memory Registry the tracer consults per transfer, the shipped label
// sets (package labels, embedded), the importers, and incidents
// (IncidentBook; Tracked decorates it with the Tracker that follows them).
//
// # Import formats
//
// Import reads one file, all or nothing: a bad row is reported with its
// line number and reason and nothing from the file is kept, unless
// SkipInvalid is set, which keeps the good rows and lists the bad ones.
// Every format is read as a stream, plain or bzip2/gzip-compressed (told
// by the first bytes), within ImportLimits: 1 GiB decompressed, 64 KiB per
// line (a CSV record, a JSON entry object, a TagPack tag or the TagPack
// header, an XML token), 4096 bytes per field, XML nesting 64, 1,000,000
// entries, 100,000,000 XML tokens. A file past a limit gives one
// *LimitError naming the limit, its value, the file and the line, and
// nothing from it is kept (with SkipInvalid too). Labels, sources and
// notes are text CheckText accepts (no control or bidirectional
// characters); a row with other text is a bad row.
//
//   - ofac-xml: the OFAC SDN "advanced" XML (sdn_advanced.xml). Every
//     Feature whose type is "Digital Currency Address - XBT" becomes a
//     bitcoin entry and "- ETH" an ethereum entry, kind sanctioned, label
//     the party's primary name, note "OFAC SDN profile N". Other assets
//     (USDT, TRX, LTC, XMR, …) are counted per asset and skipped.
//   - lines: one address per line; '#' starts a comment; blank lines are
//     ignored. --chain and --kind are required.
//   - csv: a header row, then rows. Columns (any order, names matched
//     case-insensitively): address (required), chain, kind, label, owner,
//     source, note. A missing chain/kind column takes --chain/--kind.
//   - json: an array of objects, or {"entries":[…]} (what `watch ls
//     --format json` prints), each {"chain","address","kind","label",
//     "owner","source","note"}; a missing chain/kind takes --chain/--kind.
//     The line number reported is the line where the bad object starts.
//   - tagpack: a GraphSense TagPack YAML: header fields (label, category,
//     currency, source, …) apply to every tag unless the tag sets its own.
//     The tags are read one at a time from a block sequence ("tags:" then
//     "- address: …" items); a flow sequence ("tags: [ … ]") counts as
//     header and must fit the line limit.
//     currency BTC → bitcoin, ETH → ethereum; others are counted and
//     skipped. category maps to a kind: exchange → exchange, mixing_service
//     and coinjoin → mixer, bridge → bridge; anything else takes --kind
//     (default custom). actor and abuse go into the note.
package watchlists
