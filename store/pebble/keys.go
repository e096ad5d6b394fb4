package pebble

// Key prefixes, one per domain. Each domain's file builds its keys below
// its prefix; no two domains share one.
var (
	keySchema = []byte("m/schema")

	prefixCheckpoint = []byte("c/") // c/<chain> → checkpoint JSON
	prefixWatchlist  = []byte("w/") // watchlists.Store
	prefixIncident   = []byte("i/") // incidents (watchlists.Store)
	prefixTracer     = []byte("t/") // tracer.Store
	prefixAlert      = []byte("a/") // alerts.Store
	prefixKey        = []byte("k/") // api keys
	prefixWebhook    = []byte("h/") // webhooks and their delivery queue
	prefixTriage     = []byte("r/") // alert triage (alerts.TriageStore)
	prefixChannel    = []byte("n/") // notification channels (notify.Store)
)
