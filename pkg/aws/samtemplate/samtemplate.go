// Package samtemplate reads slotbook's AWS SAM template, template.yaml, for
// the tests that hold it to the code: the routes against pkg/httpapi and
// api/openapi.yaml, the table against pkg/store/dynamo, each function's IAM
// policy against what the function does. The smoke tests of
// pkg/aws/lambdatest also create their DynamoDB Local table from it.
//
// The template is read with goformation (github.com/awslabs/goformation/v7):
// its YAML reader, which understands CloudFormation's short tags (!Ref,
// !Sub, !If, …), and its intrinsic-function processor; resources are decoded
// into goformation's typed resources. Two things goformation's own Open does
// not fit, so Load calls the processor itself:
//
//   - goformation resolves Ref and GetAtt of resources to nothing; here they
//     become markers (Ref("Table") = "${Table}", GetAtt("Table", "Arn") =
//     "${Table.Arn}"), so a policy's Resource still names what it grants on.
//     Parameters resolve to their defaults (or the given overrides), and the
//     template's conditions are evaluated before Fn::If is. Resources and
//     outputs whose Condition is false are left out, as CloudFormation
//     leaves them out of the stack.
//   - goformation v7.14.9's AWS::Serverless::Function rejects properties
//     newer than its schema (LoggingConfig, 2023), so functions are decoded
//     into Function below, built from goformation's event, policy and
//     environment types.
package samtemplate

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation/serverless"
	"github.com/awslabs/goformation/v7/intrinsics"
)

// FileName is the template's name at the module root.
const FileName = "template.yaml"

// Values that pseudo parameters resolve to.
const (
	Region    = "eu-central-1"
	AccountID = "123456789012"
	Partition = "aws"
	URLSuffix = "amazonaws.com"
	StackName = "slotbook"
)

// Ref returns the marker that Ref of resource name resolves to.
func Ref(name string) string { return "${" + name + "}" }

// GetAtt returns the marker that Fn::GetAtt of resource's attribute resolves to.
func GetAtt(resource, attribute string) string { return "${" + resource + "." + attribute + "}" }

// Path returns the path of template.yaml at the root of the module that
// holds the working directory.
func Path() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, FileName), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("samtemplate: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Template is a processed template: intrinsic functions resolved as the
// package comment describes, Globals merged into every function.
type Template struct {
	// Parameters are the template's parameters with the values used.
	Parameters map[string]any
	// Conditions are the template's conditions, evaluated.
	Conditions map[string]bool
	// Functions are the AWS::Serverless::Function resources by logical id.
	Functions map[string]*Function
	// Outputs are the template's outputs by name, those whose condition
	// is false left out.
	Outputs map[string]Output
	// Mappings are the template's mappings: map name, top-level key,
	// second-level key.
	Mappings  map[string]map[string]map[string]any
	resources map[string]json.RawMessage
	types     map[string]string
}

// Output is one output of the template.
type Output struct {
	Description string
	Condition   string
	Value       any
}

// Resource is what every resource has, for Template.Resource to decode
// into when no goformation type fits.
type Resource struct {
	Type           string
	Condition      string
	DeletionPolicy string
	Metadata       map[string]any
	Properties     json.RawMessage
}

// Function is one AWS::Serverless::Function, with Globals.Function merged in.
type Function struct {
	Name          string
	Runtime       string
	Architectures []string
	Handler       string
	CodeURI       any
	// Role is the execution role given to the function, "" when SAM makes
	// one for it from Policies.
	Role string
	// BuildMethod is Metadata.BuildMethod (makefile for sam build).
	BuildMethod string
	// Layers are the ARNs of the function's layers.
	Layers []string
	// Env is Environment.Variables; AWS::NoValue entries are left out.
	Env map[string]string
	// Events are the event sources, sorted by name.
	Events []Event
	// Statements are the statements of the function's inline policy documents.
	Statements []Statement
	// ManagedPolicies are policies given by name or ARN, and SAM policy templates.
	ManagedPolicies []string
}

// Event is one event source of a function.
type Event struct {
	Name string
	Type string
	// HttpApi: the API, route and authorizer ("" is the API's default, "NONE" none).
	APIID                string
	Method               string
	Path                 string
	Authorizer           string
	PayloadFormatVersion string
	// Throttle is the route's own throttling (RouteSettings), if any.
	Throttle *Throttle
	// Schedule: the rate or cron expression, and the input the function gets.
	Schedule string
	Input    string
}

// RouteKey returns the API Gateway route key, "METHOD /path".
func (e Event) RouteKey() string { return strings.ToUpper(e.Method) + " " + e.Path }

// Throttle is a route's or a stage's throttling.
type Throttle struct {
	BurstLimit int
	RateLimit  float64
}

// Statement is one statement of an IAM policy document, with Action and
// Resource always lists.
type Statement struct {
	Sid       string
	Effect    string
	Action    []string
	NotAction []string
	Resource  []string
	Condition map[string]any
}

// Load reads and processes the template at path. params override parameter
// defaults (a CommaDelimitedList as a comma-separated string).
func Load(path string, params map[string]any) (*Template, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("samtemplate: %w", err)
	}
	// Long-form intrinsics only, nothing resolved yet.
	raw, err := intrinsics.ProcessYAML(text, &intrinsics.ProcessorOptions{NoProcess: true})
	if err != nil {
		return nil, fmt.Errorf("samtemplate: %s: %w", path, err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("samtemplate: %s: %w", path, err)
	}
	t := &Template{Parameters: map[string]any{}, Conditions: map[string]bool{}, Functions: map[string]*Function{}}
	if err := t.readParameters(doc, params); err != nil {
		return nil, err
	}
	opts := &intrinsics.ProcessorOptions{IntrinsicHandlerOverrides: map[string]intrinsics.IntrinsicHandler{
		"Ref":        t.ref,
		"Fn::GetAtt": getAtt,
		"Fn::Sub":    t.sub,
		"Fn::Split":  split,
	}}
	if err := t.evaluateConditions(doc, opts); err != nil {
		return nil, err
	}
	// Conditions are plain booleans now, which goformation's Fn::If reads.
	conds := map[string]any{}
	for k, v := range t.Conditions {
		conds[k] = v
	}
	doc["Conditions"] = conds
	in, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	out, err := intrinsics.ProcessJSON(in, opts)
	if err != nil {
		return nil, fmt.Errorf("samtemplate: %s: %w", path, err)
	}
	var processed struct {
		Mappings  map[string]map[string]map[string]any
		Globals   map[string]map[string]any
		Resources map[string]map[string]any
		Outputs   map[string]Output
	}
	if err := json.Unmarshal(out, &processed); err != nil {
		return nil, fmt.Errorf("samtemplate: %s: %w", path, err)
	}
	t.Mappings = processed.Mappings
	t.Outputs = map[string]Output{}
	for name, o := range processed.Outputs {
		ok, err := t.holds(o.Condition)
		if err != nil {
			return nil, fmt.Errorf("samtemplate: %s: output %s: %w", path, name, err)
		}
		if ok {
			t.Outputs[name] = o
		}
	}
	t.resources = map[string]json.RawMessage{}
	t.types = map[string]string{}
	for name, res := range processed.Resources {
		cond, _ := res["Condition"].(string)
		ok, err := t.holds(cond)
		if err != nil {
			return nil, fmt.Errorf("samtemplate: %s: resource %s: %w", path, name, err)
		}
		if !ok {
			continue
		}
		dropNulls(res)
		typ, _ := res["Type"].(string)
		if typ == "AWS::Serverless::Function" {
			props, _ := res["Properties"].(map[string]any)
			if props == nil {
				props = map[string]any{}
			}
			res["Properties"] = merge(props, dropNulls(processed.Globals["Function"]))
		}
		b, err := json.Marshal(res)
		if err != nil {
			return nil, err
		}
		t.resources[name], t.types[name] = b, typ
		if typ == "AWS::Serverless::Function" {
			f, err := decodeFunction(name, b)
			if err != nil {
				return nil, err
			}
			t.Functions[name] = f
		}
	}
	return t, nil
}

// holds reports whether a resource or output with Condition cond is in the
// stack: it has none, or it is true.
func (t *Template) holds(cond string) (bool, error) {
	if cond == "" {
		return true, nil
	}
	v, ok := t.Conditions[cond]
	if !ok {
		return false, fmt.Errorf("no condition %s", cond)
	}
	return v, nil
}

// Has reports whether the stack has resource name: the template declares
// it and its Condition, if any, is true.
func (t *Template) Has(name string) bool {
	_, ok := t.resources[name]
	return ok
}

// Resource decodes resource name into out: a goformation resource type
// (e.g. *dynamodb.Table), which takes the whole resource, or *Resource.
// A resource whose condition is false is not there.
func (t *Template) Resource(name string, out any) error {
	b, ok := t.resources[name]
	if !ok {
		return fmt.Errorf("samtemplate: no resource %s", name)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("samtemplate: resource %s: %w", name, err)
	}
	return nil
}

// ResourcesOfType returns the logical ids of the resources of type typ, sorted.
func (t *Template) ResourcesOfType(typ string) []string {
	var out []string
	for name, ty := range t.types {
		if ty == typ {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

func (t *Template) readParameters(doc map[string]any, overrides map[string]any) error {
	params, _ := doc["Parameters"].(map[string]any)
	for name, v := range overrides {
		if _, ok := params[name]; !ok {
			return fmt.Errorf("samtemplate: no parameter %s to override", name)
		}
		p := params[name].(map[string]any)
		p["Default"] = v
	}
	for name, p := range params {
		p, _ := p.(map[string]any)
		v, ok := p["Default"]
		if !ok {
			continue
		}
		if p["Type"] == "CommaDelimitedList" {
			s, _ := v.(string)
			var list []any
			for _, item := range strings.Split(s, ",") {
				list = append(list, strings.TrimSpace(item))
			}
			v = list
		}
		t.Parameters[name] = v
	}
	return nil
}

// evaluateConditions evaluates every condition, those that name others
// after them.
func (t *Template) evaluateConditions(doc map[string]any, opts *intrinsics.ProcessorOptions) error {
	conds, _ := doc["Conditions"].(map[string]any)
	var eval func(name string, depth int) (bool, error)
	eval = func(name string, depth int) (bool, error) {
		if v, ok := t.Conditions[name]; ok {
			return v, nil
		}
		expr, ok := conds[name]
		if !ok || depth > len(conds) {
			return false, fmt.Errorf("samtemplate: condition %s is unknown or circular", name)
		}
		// {"Condition": other} inside Fn::And/Or/Not (goformation's YAML
		// reader makes !Condition other the bare string "other" there):
		// evaluate other first.
		var deps []string
		collectConditionRefs(expr, &deps)
		for _, d := range deps {
			if _, err := eval(d, depth+1); err != nil {
				return false, err
			}
		}
		expr = replaceConditionRefs(expr, t.Conditions)
		in, err := json.Marshal(map[string]any{"Parameters": doc["Parameters"], "Value": expr})
		if err != nil {
			return false, err
		}
		out, err := intrinsics.ProcessJSON(in, opts)
		if err != nil {
			return false, err
		}
		var v struct{ Value any }
		if err := json.Unmarshal(out, &v); err != nil {
			return false, err
		}
		b, ok := v.Value.(bool)
		if !ok {
			return false, fmt.Errorf("samtemplate: condition %s evaluates to %v, not a boolean", name, v.Value)
		}
		t.Conditions[name] = b
		return b, nil
	}
	for name := range conds {
		if _, err := eval(name, 0); err != nil {
			return err
		}
	}
	return nil
}

// conditionFunctions are the functions whose arguments are conditions, so
// a string among them names one.
var conditionFunctions = []string{"Fn::And", "Fn::Or", "Fn::Not"}

func collectConditionRefs(v any, out *[]string) {
	switch v := v.(type) {
	case map[string]any:
		if name, ok := v["Condition"].(string); ok && len(v) == 1 {
			*out = append(*out, name)
			return
		}
		for k, x := range v {
			if args, ok := x.([]any); ok && slices.Contains(conditionFunctions, k) {
				for _, a := range args {
					if name, ok := a.(string); ok {
						*out = append(*out, name)
					}
				}
			}
			collectConditionRefs(x, out)
		}
	case []any:
		for _, x := range v {
			collectConditionRefs(x, out)
		}
	}
}

func replaceConditionRefs(v any, values map[string]bool) any {
	switch v := v.(type) {
	case map[string]any:
		if name, ok := v["Condition"].(string); ok && len(v) == 1 {
			return values[name]
		}
		out := map[string]any{}
		for k, x := range v {
			if args, ok := x.([]any); ok && slices.Contains(conditionFunctions, k) {
				list := make([]any, len(args))
				for i, a := range args {
					if name, ok := a.(string); ok {
						list[i] = values[name]
					} else {
						list[i] = replaceConditionRefs(a, values)
					}
				}
				out[k] = list
				continue
			}
			out[k] = replaceConditionRefs(x, values)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = replaceConditionRefs(x, values)
		}
		return out
	}
	return v
}

var pseudo = map[string]any{
	"AWS::AccountId": AccountID,
	"AWS::Partition": Partition,
	"AWS::Region":    Region,
	"AWS::StackName": StackName,
	"AWS::StackId":   "arn:aws:cloudformation:" + Region + ":" + AccountID + ":stack/" + StackName + "/00000000-0000-0000-0000-000000000000",
	"AWS::URLSuffix": URLSuffix,
	"AWS::NoValue":   nil,
}

// ref resolves Ref: pseudo parameters and parameters to their values,
// resources to a marker.
func (t *Template) ref(_ string, input any, _ any) any {
	name, ok := input.(string)
	if !ok {
		return nil
	}
	if v, ok := pseudo[name]; ok {
		return v
	}
	if v, ok := t.Parameters[name]; ok {
		return v
	}
	return Ref(name)
}

// getAtt resolves Fn::GetAtt to a marker.
func getAtt(_ string, input any, _ any) any {
	switch v := input.(type) {
	case []any:
		if len(v) == 2 {
			r, _ := v[0].(string)
			a, _ := v[1].(string)
			return GetAtt(r, a)
		}
	case string:
		if r, a, ok := strings.Cut(v, "."); ok {
			return GetAtt(r, a)
		}
	}
	return nil
}

var subVar = regexp.MustCompile(`\$\{([^}]*)\}`)

// sub resolves Fn::Sub: variables that are parameters or pseudo parameters
// become their values, resources and attributes stay markers.
func (t *Template) sub(_ string, input any, _ any) any {
	var (
		text string
		vars map[string]any
	)
	switch v := input.(type) {
	case string:
		text = v
	case []any:
		if len(v) != 2 {
			return nil
		}
		text, _ = v[0].(string)
		vars, _ = v[1].(map[string]any)
	default:
		return nil
	}
	return subVar.ReplaceAllStringFunc(text, func(m string) string {
		name := m[2 : len(m)-1]
		if strings.HasPrefix(name, "!") {
			return "${" + name[1:] + "}" // ${!Literal}
		}
		var v any
		if x, ok := vars[name]; ok {
			v = x
		} else if strings.Contains(name, ".") {
			r, a, _ := strings.Cut(name, ".")
			v = GetAtt(r, a)
		} else {
			v = t.ref("Ref", name, nil)
		}
		if s, ok := v.(string); ok {
			return s
		}
		return fmt.Sprint(v)
	})
}

// dropNulls removes the entries that AWS::NoValue (or an unresolvable
// function) left empty, as CloudFormation does.
func dropNulls(m map[string]any) map[string]any {
	for k, v := range m {
		switch x := v.(type) {
		case nil:
			delete(m, k)
		case map[string]any:
			dropNulls(x)
		case []any:
			for _, e := range x {
				if em, ok := e.(map[string]any); ok {
					dropNulls(em)
				}
			}
		}
	}
	return m
}

// merge adds globals to props as SAM does: what props sets wins; maps merge.
func merge(props, globals map[string]any) map[string]any {
	for k, g := range globals {
		p, ok := props[k]
		if !ok {
			props[k] = g
			continue
		}
		pm, pok := p.(map[string]any)
		gm, gok := g.(map[string]any)
		if pok && gok {
			props[k] = merge(pm, gm)
		}
	}
	return props
}

type functionResource struct {
	Metadata   map[string]any
	Properties struct {
		Role          any
		Runtime       string
		Architectures []string
		Handler       string
		CodeUri       any
		Layers        []string
		Environment   *serverless.Function_FunctionEnvironment
		Events        map[string]serverless.Function_EventSource
		Policies      json.RawMessage
	}
}

func decodeFunction(name string, b []byte) (*Function, error) {
	var r functionResource
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("samtemplate: function %s: %w", name, err)
	}
	p := r.Properties
	f := &Function{
		Name: name, Runtime: p.Runtime, Architectures: p.Architectures, Handler: p.Handler,
		CodeURI: p.CodeUri, Layers: p.Layers, Env: map[string]string{},
	}
	if p.Role != nil {
		f.Role = fmt.Sprint(p.Role)
	}
	f.BuildMethod, _ = r.Metadata["BuildMethod"].(string)
	if p.Environment != nil {
		for k, v := range p.Environment.Variables {
			f.Env[k] = v
		}
	}
	for en, e := range p.Events {
		ev := Event{Name: en, Type: e.Type}
		if e.Type == "HttpApi" && e.Properties != nil && e.Properties.HttpApiEvent != nil {
			h := e.Properties.HttpApiEvent
			ev.APIID, ev.Method, ev.Path, ev.PayloadFormatVersion = deref(h.ApiId), deref(h.Method), deref(h.Path), deref(h.PayloadFormatVersion)
			if h.Auth != nil {
				ev.Authorizer = deref(h.Auth.Authorizer)
			}
			if rs := h.RouteSettings; rs != nil && (rs.ThrottlingBurstLimit != nil || rs.ThrottlingRateLimit != nil) {
				ev.Throttle = &Throttle{}
				if rs.ThrottlingBurstLimit != nil {
					ev.Throttle.BurstLimit = *rs.ThrottlingBurstLimit
				}
				if rs.ThrottlingRateLimit != nil {
					ev.Throttle.RateLimit = *rs.ThrottlingRateLimit
				}
			}
		}
		if e.Type == "Schedule" && e.Properties != nil && e.Properties.ScheduleEvent != nil {
			ev.Schedule, ev.Input = e.Properties.ScheduleEvent.Schedule, deref(e.Properties.ScheduleEvent.Input)
		}
		f.Events = append(f.Events, ev)
	}
	sort.Slice(f.Events, func(i, j int) bool { return f.Events[i].Name < f.Events[j].Name })
	if err := f.readPolicies(p.Policies); err != nil {
		return nil, fmt.Errorf("samtemplate: function %s: %w", name, err)
	}
	return f, nil
}

// readPolicies reads SAM's Policies: a name, a document, or a list of
// names, documents and policy templates.
func (f *Function) readPolicies(raw json.RawMessage) error {
	if len(raw) == 0 {
		return nil
	}
	var items []json.RawMessage
	if raw[0] == '[' {
		if err := json.Unmarshal(raw, &items); err != nil {
			return err
		}
	} else {
		items = []json.RawMessage{raw}
	}
	for _, item := range items {
		var name string
		if json.Unmarshal(item, &name) == nil {
			f.ManagedPolicies = append(f.ManagedPolicies, name)
			continue
		}
		var doc serverless.Function_IAMPolicyDocument
		if err := json.Unmarshal(item, &doc); err != nil {
			return err
		}
		if doc.Statement == nil {
			// A SAM policy template: {"DynamoDBCrudPolicy": {...}}.
			var tmpl map[string]any
			json.Unmarshal(item, &tmpl)
			for k := range tmpl {
				f.ManagedPolicies = append(f.ManagedPolicies, k)
			}
			continue
		}
		for _, s := range doc.Statement {
			st, err := statement(s)
			if err != nil {
				return err
			}
			f.Statements = append(f.Statements, st)
		}
	}
	return nil
}

func statement(s any) (Statement, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return Statement{}, err
	}
	var r struct {
		Sid, Effect                 string
		Action, NotAction, Resource stringOrList
		Condition                   map[string]any
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return Statement{}, fmt.Errorf("statement %s: %w", b, err)
	}
	return Statement{Sid: r.Sid, Effect: r.Effect, Action: r.Action, NotAction: r.NotAction, Resource: r.Resource, Condition: r.Condition}, nil
}

type stringOrList []string

func (l *stringOrList) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*l = []string{s}
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return err
	}
	*l = list
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// split is Fn::Split. goformation's returns a []string, which its own
// Fn::Select does not take (it wants a []interface{}), so that
// !Select [1, !Split ["@", …]] would come out nil.
func split(_ string, input any, _ any) any {
	arr, ok := input.([]any)
	if !ok || len(arr) != 2 {
		return nil
	}
	delim, ok1 := arr[0].(string)
	str, ok2 := arr[1].(string)
	if !ok1 || !ok2 {
		return nil
	}
	var out []any
	for _, part := range strings.Split(str, delim) {
		out = append(out, part)
	}
	return out
}
