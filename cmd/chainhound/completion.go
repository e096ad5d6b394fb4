package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// bashCompletion asks the binary itself for the words that may follow
// (urfave/cli's --generate-bash-completion), so it never goes stale.
const bashCompletion = `# chainhound completion for bash: source <(chainhound completion bash)
_chainhound_complete() {
  local cur="${COMP_WORDS[COMP_CWORD]}"
  local words=("${COMP_WORDS[@]:0:COMP_CWORD}")
  local opts
  if [[ "$cur" == -* ]]; then
    opts=$("${words[@]}" "$cur" --generate-bash-completion 2>/dev/null)
  else
    opts=$("${words[@]}" --generate-bash-completion 2>/dev/null)
  fi
  COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
complete -o bashdefault -o default -F _chainhound_complete chainhound
`

// zshCompletion is the bash one through zsh's bashcompinit.
const zshCompletion = `# chainhound completion for zsh: source <(chainhound completion zsh)
autoload -U +X bashcompinit && bashcompinit
` + bashCompletion

func completionCommand() *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print the shell completion script for bash, zsh or fish",
		ArgsUsage: "bash|zsh|fish",
		Description: "bash: source <(chainhound completion bash)   (or save it in /etc/bash_completion.d/)\n" +
			"zsh:  source <(chainhound completion zsh)\n" +
			"fish: chainhound completion fish > ~/.config/fish/completions/chainhound.fish",
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usagef("completion: want one shell (bash, zsh or fish), got %d arguments", c.NArg())
			}
			var script string
			switch shell := c.Args().First(); shell {
			case "bash":
				script = bashCompletion
			case "zsh":
				script = zshCompletion
			case "fish":
				s, err := c.App.ToFishCompletion()
				if err != nil {
					return fmt.Errorf("completion fish: %w", err)
				}
				script = s
			default:
				return usagef("completion: unknown shell %q (want bash, zsh or fish)", shell)
			}
			_, err := fmt.Fprint(c.App.Writer, script)
			return err
		},
	}
}
