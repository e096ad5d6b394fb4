package config

import (
	"fmt"
	"os"

	"github.com/chainhound/chainhound/chains"
	"gopkg.in/yaml.v3"
)

// Local is the part of a configuration file that the commands working on
// a daemon's state read (watch, incident, keys, screen, triage, …): where
// the store is, each chain's network, the default policy, the screening
// table and where the API listens. LoadLocal reads it leniently, so that
// these commands take the daemon's file as it is: other keys are not
// read, and nothing is checked beyond YAML and the types of these keys.
type Local struct {
	DataDir string     `yaml:"data_dir"`
	Store   LocalStore `yaml:"store"`
	// Chains by name, as written: Networks checks the names.
	Chains map[string]struct {
		Network string `yaml:"network"`
	} `yaml:"chains"`
	Tracer struct {
		Policy string `yaml:"policy"`
	} `yaml:"tracer"`
	Screen Screen `yaml:"screen"`
	API    struct {
		Listen string `yaml:"listen"`
	} `yaml:"api"`
}

// LocalStore is the part of store that Local reads.
type LocalStore struct {
	Backend  string    `yaml:"backend"`
	URL      string    `yaml:"url"`
	Sentinel *Sentinel `yaml:"sentinel"`
}

// LoadLocal reads Local from file. A file that cannot be read is an
// *fs.PathError; otherwise the error is yaml.v3's, which names the line.
func LoadLocal(file string) (*Local, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	l := &Local{}
	if err := yaml.Unmarshal(b, l); err != nil {
		return nil, err
	}
	return l, nil
}

// Networks is each chain's network (mainnet when absent); an unknown
// chain name is an error naming its key.
func (l *Local) Networks() (map[chains.Chain]string, error) {
	n := map[chains.Chain]string{}
	for name, ch := range l.Chains {
		chain, err := chains.ParseChain(name)
		if err != nil {
			return nil, fmt.Errorf("chains.%s: %v", name, err)
		}
		n[chain] = ch.Network
	}
	return n, nil
}
