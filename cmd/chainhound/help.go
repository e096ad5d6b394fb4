package main

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// The help's layout: one line per flag, its description beside it,
// aligned; no flag categories (they printed empty headings and lines of
// blanks). urfave/cli renders these templates through a tabwriter.

const flagLines = `{{range .VisibleFlags}}
   {{.}}{{end}}`

const commandLines = `{{range .VisibleCommands}}
   {{join .Names ", "}}{{"\t"}}{{.Usage}}{{end}}`

func init() {
	cli.AppHelpTemplate = `NAME:
   {{template "helpNameTemplate" .}}

USAGE:
   {{.HelpName}} [global options] command [command options]{{if .Version}}{{if not .HideVersion}}

VERSION:
   {{.Version}}{{end}}{{end}}{{if .VisibleCommands}}

COMMANDS:` + commandLines + `{{end}}{{if .VisibleFlags}}

GLOBAL OPTIONS:` + flagLines + `{{end}}
`
	cli.CommandHelpTemplate = `NAME:
   {{template "helpNameTemplate" .}}

USAGE:
   {{template "usageTemplate" .}}{{if .Description}}

DESCRIPTION:
   {{template "descriptionTemplate" .}}{{end}}{{if .VisibleFlags}}

OPTIONS:` + flagLines + `{{end}}
`
	cli.SubcommandHelpTemplate = `NAME:
   {{template "helpNameTemplate" .}}

USAGE:
   {{.HelpName}} command [command options]{{if .Description}}

DESCRIPTION:
   {{template "descriptionTemplate" .}}{{end}}{{if .VisibleCommands}}

COMMANDS:` + commandLines + `{{end}}
`
	cli.FlagStringer = flagLine
}

// flagLine is one flag in the help: its names and value placeholder (the
// `WORD` its usage quotes, else "value"), a tab, its usage and a default
// worth saying.
func flagLine(f cli.Flag) string {
	var names []string
	for _, n := range f.Names() {
		if len(n) == 1 {
			names = append(names, "-"+n)
		} else {
			names = append(names, "--"+n)
		}
	}
	head := strings.Join(names, ", ")
	df, ok := f.(cli.DocGenerationFlag)
	if !ok {
		return head
	}
	usage := df.GetUsage()
	if df.TakesValue() {
		placeholder := "value"
		if i := strings.IndexByte(usage, '`'); i >= 0 {
			if j := strings.IndexByte(usage[i+1:], '`'); j >= 0 {
				placeholder = usage[i+1 : i+1+j]
			}
		}
		head += " " + placeholder
	}
	usage = strings.ReplaceAll(usage, "`", "")
	if d := df.GetDefaultText(); d != "" && d != "false" && d != "0" && d != `""` && d != "[]" && !strings.Contains(usage, "default") {
		usage += " (default: " + d + ")"
	}
	if env := df.GetEnvVars(); len(env) > 0 {
		usage += " [$" + strings.Join(env, ", $") + "]"
	}
	return head + "\t" + usage
}
