// Command icomp is the incentive compensation engine's command line.
package main

import (
	"os"

	"github.com/icomp/icomp/cmd/icomp/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
