package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/s3transfer/cdk-datasync/constructs/spec"
)

// printDashboards prints the console links of the dashboards the config's monitoring
// creates (spec.Dashboards), after the status table.
func printDashboards(w io.Writer, ts []spec.Transfer) {
	links := spec.Dashboards(ts)
	if len(links) == 0 {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Dashboards:")
	for _, l := range links {
		fmt.Fprintf(w, "  %s (%s)\n    %s\n", l.Name, strings.Join(l.Transfers, ", "), l.URL)
	}
}
