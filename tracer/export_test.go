package tracer

// StateKVs exposes the engine's whole encoded state to tests.
func StateKVs(e *Engine) []KV {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.stateKVs()
}

// JournalCount reports how many journals chain keeps.
func JournalCount(e *Engine, chain string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	for c, cs := range e.chains {
		if string(c) == chain {
			return len(cs.journals)
		}
	}
	return 0
}

// Check puts e in checked mode (arena.setChecked): every block is followed
// by a sweep, freed slots are never reused, and any use of a freed hop or
// holding panics.
func Check(e *Engine) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.a.setChecked()
}
