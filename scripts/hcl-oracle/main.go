// hcl-oracle: HashiCorp's HCL (the Debian package's copy) parsing and evaluating one native-syntax
// file, printed as JSON for h2k's differential tests. Every attribute of every body is evaluated
// with the same small context h2k's side of the test uses (a `var` object and a few functions whose
// semantics match h2k's), so values and diagnostic ranges can be compared one for one.
package main

import (
	"encoding/json"
	"fmt"
	"io/ioutil"
	"os"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

type pos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

type rng struct {
	Start pos `json:"start"`
	End   pos `json:"end"`
}

type diag struct {
	Severity string `json:"severity"`
	Summary  string `json:"summary"`
	Detail   string `json:"detail"`
	Range    *rng   `json:"range,omitempty"`
}

// The value is its cty JSON text inside a string, so a reader keeps every digit of its numbers.
type attr struct {
	Value *string         `json:"value,omitempty"`
	Type  json.RawMessage `json:"type,omitempty"`
	Diags []diag          `json:"diagnostics,omitempty"`
}

type body struct {
	Attributes map[string]attr `json:"attributes"`
	Blocks     []block         `json:"blocks"`
}

type block struct {
	Type   string   `json:"type"`
	Labels []string `json:"labels"`
	Body   body     `json:"body"`
}

type result struct {
	Diagnostics []diag `json:"diagnostics"`
	Body        *body  `json:"body,omitempty"`
}

func toRange(r *hcl.Range) *rng {
	if r == nil {
		return nil
	}
	return &rng{
		Start: pos{r.Start.Line, r.Start.Column, r.Start.Byte},
		End:   pos{r.End.Line, r.End.Column, r.End.Byte},
	}
}

func toDiags(ds hcl.Diagnostics) []diag {
	out := []diag{}
	for _, d := range ds {
		sev := "error"
		if d.Severity == hcl.DiagWarning {
			sev = "warning"
		}
		out = append(out, diag{sev, d.Summary, d.Detail, toRange(d.Subject)})
	}
	return out
}

func context() *hcl.EvalContext {
	return &hcl.EvalContext{
		Variables: map[string]cty.Value{
			"var": cty.ObjectVal(map[string]cty.Value{
				"s":     cty.StringVal("str"),
				"n":     cty.NumberIntVal(3),
				"t":     cty.True,
				"names": cty.TupleVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")}),
				"sizes": cty.ObjectVal(map[string]cty.Value{"a": cty.NumberIntVal(1), "b": cty.NumberIntVal(2)}),
				"vms": cty.TupleVal([]cty.Value{
					cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("web"), "cpus": cty.NumberIntVal(2)}),
					cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("db"), "cpus": cty.NumberIntVal(4)}),
				}),
				"none": cty.NullVal(cty.DynamicPseudoType),
			}),
		},
		Functions: map[string]function.Function{
			"upper":  stdlib.UpperFunc,
			"lower":  stdlib.LowerFunc,
			"concat": stdlib.ConcatFunc,
			"length": stdlib.LengthFunc,
			"join":   stdlib.JoinFunc,
			"format": stdlib.FormatFunc,
		},
	}
}

func dumpBody(b *hclsyntax.Body, ctx *hcl.EvalContext) body {
	out := body{Attributes: map[string]attr{}, Blocks: []block{}}
	names := make([]string, 0, len(b.Attributes))
	for name := range b.Attributes {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		v, ds := b.Attributes[name].Expr.Value(ctx)
		a := attr{Diags: toDiags(ds)}
		if !ds.HasErrors() {
			if raw, err := ctyjson.Marshal(v, v.Type()); err == nil {
				text := string(raw)
				a.Value = &text
			} else {
				a.Diags = append(a.Diags, diag{"error", "Unserializable value", err.Error(), nil})
			}
			a.Type, _ = ctyjson.MarshalType(v.Type())
		}
		out.Attributes[name] = a
	}
	for _, blk := range b.Blocks {
		labels := blk.Labels
		if labels == nil {
			labels = []string{}
		}
		out.Blocks = append(out.Blocks, block{blk.Type, labels, dumpBody(blk.Body, ctx)})
	}
	return out
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: hcl-oracle FILE.hcl")
		os.Exit(2)
	}
	src, err := ioutil.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	file, ds := hclsyntax.ParseConfig(src, os.Args[1], hcl.InitialPos)
	res := result{Diagnostics: toDiags(ds)}
	if !ds.HasErrors() {
		b := dumpBody(file.Body.(*hclsyntax.Body), context())
		res.Body = &b
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(res); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}
