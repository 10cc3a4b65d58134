package lambdatest_test

// The functions' bootstraps, built for this machine, run as Lambda runs
// them: a process with Lambda's environment and the template's, polling the
// Runtime API for recorded API Gateway HTTP API events, on a DynamoDB Local
// table created from the template's own table definition.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/slotbook/slotbook/pkg/aws/lambdafn"
	"github.com/slotbook/slotbook/pkg/aws/lambdatest"
	"github.com/slotbook/slotbook/pkg/aws/paramstore"
	"github.com/slotbook/slotbook/pkg/aws/paramstore/paramstoretest"
	"github.com/slotbook/slotbook/pkg/aws/samtemplate"
	"github.com/slotbook/slotbook/pkg/config"
	"github.com/slotbook/slotbook/pkg/local/demo"
	"github.com/slotbook/slotbook/pkg/seal"
	"github.com/slotbook/slotbook/pkg/slotbook"
	"github.com/slotbook/slotbook/pkg/store/dynamo"
	"github.com/slotbook/slotbook/pkg/store/dynamo/dynamotest"
)

func TestMain(m *testing.M) {
	code := dynamotest.Main(m)
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

var (
	tplOnce sync.Once
	tpl     *samtemplate.Template
	tplErr  error

	buildOnce  sync.Once
	buildDir   string
	bootstraps map[string]string // function logical id → binary
	buildErr   error
)

func template(tb testing.TB) *samtemplate.Template {
	tb.Helper()
	tplOnce.Do(func() {
		var p string
		if p, tplErr = samtemplate.Path(); tplErr == nil {
			// MailFrom has no default: a deploy names its SES sender.
			tpl, tplErr = samtemplate.Load(p, map[string]any{"MailFrom": "bookings@salon.example"})
		}
	})
	if tplErr != nil {
		tb.Fatal(tplErr)
	}
	return tpl
}

func moduleRoot(tb testing.TB) string {
	p, err := samtemplate.Path()
	if err != nil {
		tb.Fatal(err)
	}
	return filepath.Dir(p)
}

// hostBootstrap returns function's bootstrap, built once per test binary
// for this machine's GOOS/GOARCH with the Lambda build's tags and flags.
func hostBootstrap(tb testing.TB, function string) string {
	tb.Helper()
	tpl := template(tb)
	buildOnce.Do(func() {
		bootstraps = map[string]string{}
		var pkgs []string
		for name := range tpl.Functions {
			pkg, err := samtemplate.Package(name)
			if err != nil {
				buildErr = err
				return
			}
			pkgs = append(pkgs, pkg)
			bootstraps[name] = path.Base(pkg)
		}
		if buildDir, buildErr = os.MkdirTemp("", "slotbook-bootstraps-"); buildErr != nil {
			return
		}
		for name, base := range bootstraps {
			bootstraps[name] = filepath.Join(buildDir, base)
		}
		args := append([]string{"build", "-trimpath", "-tags", "lambda.norpc", "-ldflags=-s -w", "-o", buildDir + string(filepath.Separator)}, pkgs...)
		cmd := exec.Command("go", args...)
		cmd.Dir = moduleRoot(tb)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	bin, ok := bootstraps[function]
	if !ok {
		tb.Fatalf("the template has no function %s", function)
	}
	return bin
}

// sessionToken is the functions' session token, which the Parameters and
// Secrets extension asks for; no log line may show it.
const sessionToken = "smoke-session-token-7f3a9c"

// lambdaEnv is the environment Lambda gives a provided.al2023 function,
// with dummy credentials and no shared AWS config.
func lambdaEnv(tb testing.TB, function string, rt *lambdatest.Server) map[string]string {
	addr := ""
	if rt != nil {
		addr = rt.Addr()
	}
	dir := tb.TempDir()
	return map[string]string{
		lambdatest.EnvRuntimeAPI:          addr,
		"_HANDLER":                        "bootstrap",
		"LAMBDA_TASK_ROOT":                dir,
		"AWS_LAMBDA_FUNCTION_NAME":        "slotbook-" + function,
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
		"AWS_LAMBDA_LOG_FORMAT":           "JSON",
		"AWS_REGION":                      samtemplate.Region,
		"AWS_DEFAULT_REGION":              samtemplate.Region,
		"AWS_ACCESS_KEY_ID":               "AKIALOCALTEST",
		"AWS_SECRET_ACCESS_KEY":           "local",
		"AWS_SESSION_TOKEN":               sessionToken,
		"AWS_CONFIG_FILE":                 filepath.Join(dir, "no-config"),
		"AWS_SHARED_CREDENTIALS_FILE":     filepath.Join(dir, "no-credentials"),
		"TZ":                              ":UTC",
		"HOME":                            dir,
	}
}

// process is one running bootstrap.
type process struct {
	name   string
	rt     *lambdatest.Server
	cmd    *exec.Cmd
	out    *lockedBuffer
	exited chan struct{}
	err    error // the exit status, once exited is closed
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// launch runs bin with exactly env, against rt.
func launch(name, bin string, rt *lambdatest.Server, env map[string]string) (*process, error) {
	p := &process{name: name, rt: rt, out: &lockedBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(bin)
	p.cmd.Dir = env["LAMBDA_TASK_ROOT"]
	for _, k := range slices.Sorted(maps.Keys(env)) {
		p.cmd.Env = append(p.cmd.Env, k+"="+env[k])
	}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { p.err = p.cmd.Wait(); close(p.exited) }()
	return p, nil
}

// stop kills the process, waits for it and closes its Runtime API.
func (p *process) stop() {
	p.cmd.Process.Kill()
	<-p.exited
	p.rt.Close()
}

// start launches bin; the process is killed when the test ends.
func start(tb testing.TB, name, bin string, rt *lambdatest.Server, env map[string]string) *process {
	tb.Helper()
	p, err := launch(name, bin, rt, env)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(p.stop)
	return p
}

// waitReady waits until the process polls for its first event.
func (p *process) waitReady(tb testing.TB) {
	tb.Helper()
	select {
	case <-p.rt.Ready():
	case <-p.rt.InitFailed():
		tb.Fatalf("%s: init error %v\n%s", p.name, p.rt.InitError(), p.out)
	case <-p.exited:
		tb.Fatalf("%s exited before polling for an event: %v\n%s", p.name, p.err, p.out)
	case <-time.After(60 * time.Second):
		tb.Fatalf("%s did not poll for an event within 60 s\n%s", p.name, p.out)
	}
}

func (p *process) invoke(t *testing.T, e events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	t.Helper()
	payload, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	r, err := p.rt.Invoke(ctx, payload)
	if err != nil {
		t.Fatalf("%s: %s %s: %v\n%s", p.name, e.RequestContext.HTTP.Method, e.RawPath, err, p.out)
	}
	if r.Err != nil {
		t.Fatalf("%s: %s %s: %v\n%s", p.name, e.RequestContext.HTTP.Method, e.RawPath, r.Err, p.out)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(r.Payload, &resp); err != nil {
		t.Fatalf("%s: answer %s: %v", p.name, r.Payload, err)
	}
	if resp.Headers["X-Request-Id"] != e.RequestContext.RequestID {
		t.Errorf("%s: X-Request-Id %q, want API Gateway's request id %q", p.name, resp.Headers["X-Request-Id"], e.RequestContext.RequestID)
	}
	return resp
}

// recorder stands between a function and DynamoDB Local and notes the IAM
// actions of the calls it makes.
type recorder struct {
	mu      sync.Mutex
	actions map[string]bool
	url     string
}

func newRecorder(tb testing.TB, target string) *recorder {
	u, err := url.Parse(target)
	if err != nil {
		tb.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	r := &recorder{actions: map[string]bool{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
		r.record(req.Header.Get("X-Amz-Target"), body)
		proxy.ServeHTTP(w, req)
	}))
	tb.Cleanup(srv.Close)
	r.url = srv.URL
	return r
}

// record notes the IAM actions a call needs: a transaction needs the
// action of each of its items.
func (r *recorder) record(target string, body []byte) {
	op := strings.TrimPrefix(target, "DynamoDB_20120810.")
	var actions []string
	switch op {
	case "TransactWriteItems", "TransactGetItems":
		var in struct{ TransactItems []map[string]json.RawMessage }
		json.Unmarshal(body, &in)
		for _, item := range in.TransactItems {
			for kind := range item {
				actions = append(actions, map[string]string{
					"Put": "dynamodb:PutItem", "Update": "dynamodb:UpdateItem", "Delete": "dynamodb:DeleteItem",
					"ConditionCheck": "dynamodb:ConditionCheckItem", "Get": "dynamodb:GetItem",
				}[kind])
			}
		}
	default:
		actions = []string{"dynamodb:" + op}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, a := range actions {
		r.actions[a] = true
	}
}

// reset forgets what init did (local mode creates its table if missing).
func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	clear(r.actions)
}

func (r *recorder) used() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Sorted(maps.Keys(r.actions))
}

// The OAuth secrets that Parameter Store holds under the template's path.
var oauthSecrets = map[string]string{
	config.ParamGoogleClientSecret:    "smoke-google-secret-5d1e",
	config.ParamMicrosoftClientSecret: "smoke-microsoft-secret-8b2c",
	config.ParamOAuthStateKey:         "smoke-state-key-smoke-state-key-smoke-state-key-0a4f",
}

// allows reports whether an IAM resource pattern (with * and ?) matches arn.
func allows(pattern, arn string) bool {
	re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(pattern)) + "$"
	ok, _ := regexp.MatchString(re, arn)
	return ok
}

// world is a function running against a fresh, seeded table.
type world struct {
	*process
	store *dynamo.Store
	rec   *recorder
	ext   *paramstoretest.Server
	now   time.Time
	env   map[string]string
}

// run starts function on a table created from the template's definition
// and seeded with the demo company as of now; extra adds to or replaces
// its environment.
func run(t *testing.T, function string, extra ...map[string]string) *world {
	t.Helper()
	bin := hostBootstrap(t, function)
	ctx := t.Context()
	db := dynamotest.Client(t)
	table := dynamotest.TableName(t)
	in, ttl, err := template(t).CreateTableInput("Table", table)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateTable(ctx, in); err != nil {
		t.Fatalf("create the template's table: %v", err)
	}
	t.Cleanup(func() {
		db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table)})
	})
	if err := dynamodb.NewTableExistsWaiter(db).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}, time.Minute); err != nil {
		t.Fatal(err)
	}
	if ttl != nil {
		if _, err := db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String(table), TimeToLiveSpecification: ttl}); err != nil {
			t.Fatal(err)
		}
	}
	store := dynamo.New(db, table)
	now := time.Now()
	if err := demo.Seed(ctx, slotbook.NewApp(store, seal.NewEphemeral(), nil), now); err != nil {
		t.Fatal(err)
	}

	rt, err := lambdatest.New()
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder(t, dynamotest.Endpoint(t))
	f := template(t).Functions[function]
	params := map[string]string{}
	for name, v := range oauthSecrets {
		params[f.Env[config.EnvSecretsPath]+"/"+name] = v
	}
	ext := paramstoretest.New(t, sessionToken, params)
	env := lambdaEnv(t, function, rt)
	for k, v := range f.Env {
		// The template's values, except references to AWS resources: the
		// table and the seal key are local here.
		if !strings.Contains(v, "${") {
			env[k] = v
		}
	}
	env[config.EnvTable] = table
	env[config.EnvDynamoDBEndpoint] = rec.url
	env[config.EnvSealKeyFile] = filepath.Join(t.TempDir(), "seal.key")
	// Configured as in production: both OAuth apps, their secrets in
	// Parameter Store behind the Parameters and Secrets extension.
	env[paramstore.EnvPort] = ext.Port
	env[config.EnvGoogleClientID] = "smoke-google-client"
	env[config.EnvMicrosoftClientID] = "smoke-microsoft-client"
	env[config.EnvOAuthRedirectURL] = "https://api.slotbook.test/v1/oauth/callback"
	for _, x := range extra {
		maps.Copy(env, x)
	}
	p := start(t, function, bin, rt, env)
	p.waitReady(t)
	if reqs := ext.Requests(); len(reqs) != 0 {
		t.Fatalf("%s read %+v from Parameter Store while starting; secrets are read on first need", function, reqs)
	}
	rec.reset()
	return &world{process: p, store: store, rec: rec, ext: ext, now: now, env: env}
}

// checkGranted checks that the function's policy in the template grants
// every DynamoDB action the function used on the table.
func (w *world) checkGranted(t *testing.T) {
	t.Helper()
	f := template(t).Functions[w.name]
	granted := map[string]bool{}
	for _, s := range f.Statements {
		if s.Effect == "Allow" && slices.Contains(s.Resource, samtemplate.GetAtt("Table", "Arn")) {
			for _, a := range s.Action {
				granted[a] = true
			}
		}
	}
	used := w.rec.used()
	if len(used) == 0 {
		t.Errorf("%s made no DynamoDB call through the recorder", w.name)
	}
	for _, a := range used {
		if !granted[a] {
			t.Errorf("%s used %s on the table, which its policy in template.yaml does not grant (used: %v)", w.name, a, used)
		}
	}
	// The extension calls GetParameter with the function's role.
	for _, r := range w.ext.Requests() {
		arn := "arn:aws:ssm:" + samtemplate.Region + ":" + samtemplate.AccountID + ":parameter" + r.Name
		ok := false
		for _, s := range f.Statements {
			if s.Effect == "Allow" && slices.Contains(s.Action, "ssm:GetParameter") && slices.ContainsFunc(s.Resource, func(p string) bool { return allows(p, arn) }) {
				ok = true
			}
		}
		if !ok {
			t.Errorf("%s read %s through the Parameters and Secrets extension, which its policy in template.yaml does not grant (ssm:GetParameter)", w.name, arn)
		}
		used = append(used, "ssm:GetParameter "+arn)
	}
	// No log line shows a secret or the session token.
	out := w.out.String()
	for _, secret := range append(slices.Collect(maps.Values(oauthSecrets)), sessionToken) {
		if strings.Contains(out, secret) {
			t.Errorf("%s's output shows the secret %q", w.name, secret)
		}
	}
	t.Logf("%s used %v", w.name, used)
}

// recorded reads functions/<dir>/testdata/<file>, fresh on every call.
func recorded(t *testing.T, dir, file string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(moduleRoot(t), "functions", dir, "testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	var e events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return e
}

var requestCount atomic.Int64

// to points a recorded event at another route, keeping its caller (headers
// and authorizer claims); target is "METHOD /path?query".
func to(e events.APIGatewayV2HTTPRequest, pattern, target, body string) events.APIGatewayV2HTTPRequest {
	method, rest, _ := strings.Cut(target, " ")
	p, query, _ := strings.Cut(rest, "?")
	e.RouteKey = method + " " + pattern
	e.RequestContext.RouteKey = e.RouteKey
	e.RawPath, e.RequestContext.HTTP.Path, e.RequestContext.HTTP.Method = p, p, method
	e.RawQueryString = query
	e.QueryStringParameters = nil
	if q, _ := url.ParseQuery(query); len(q) > 0 {
		e.QueryStringParameters = map[string]string{}
		for k := range q {
			e.QueryStringParameters[k] = q.Get(k)
		}
	}
	e.PathParameters = nil
	e.Body = body
	delete(e.Headers, "content-length")
	if body != "" {
		e.Headers["content-type"] = "application/json"
	}
	e.RequestContext.RequestID = fmt.Sprintf("smoke-%d-%d", os.Getpid(), requestCount.Add(1))
	return e
}

func decode(t *testing.T, resp events.APIGatewayV2HTTPResponse, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(resp.Body), v); err != nil {
		t.Fatalf("answer %d %s: %v", resp.StatusCode, resp.Body, err)
	}
}

func wantStatus(t *testing.T, what string, resp events.APIGatewayV2HTTPResponse, code int) {
	t.Helper()
	if resp.StatusCode != code {
		t.Fatalf("%s: status %d, want %d; body %s", what, resp.StatusCode, code, resp.Body)
	}
}

// bookableTuesday is a Tuesday 8 to 14 days ahead in Zurich: inside the demo
// company's horizon, past its notice, clear of the demo's absence and override.
func bookableTuesday(now time.Time) (date string, at func(hour, minute int) string) {
	zone, err := time.LoadLocation("Europe/Zurich")
	if err != nil {
		panic(err)
	}
	d := now.In(zone)
	d = time.Date(d.Year(), d.Month(), d.Day()+8, 12, 0, 0, 0, zone)
	for d.Weekday() != time.Tuesday {
		d = d.AddDate(0, 0, 1)
	}
	return d.Format("2006-01-02"), func(hour, minute int) string {
		return time.Date(d.Year(), d.Month(), d.Day(), hour, minute, 0, 0, zone).Format(time.RFC3339)
	}
}

const company = "/v1/companies/{companyId}"

func TestSlotsBootstrap(t *testing.T) {
	w := run(t, "SlotsFunction")
	day, at := bookableTuesday(w.now)

	t.Run("slots of a Tuesday", func(t *testing.T) {
		e := to(recorded(t, "slots", "slots-event.json"), company+"/slots",
			"GET /v1/companies/demo/slots?service=haircut&from="+day+"&to="+day+"&timezone=Europe%2FZurich", "")
		resp := w.invoke(t, e)
		wantStatus(t, "slots", resp, http.StatusOK)
		var body struct {
			Slots []struct{ Start, End, Employee string }
		}
		decode(t, resp, &body)
		// Ana works 08:00–12:00 and 13:00–17:00, Ben 10:00–18:00; a haircut
		// takes 30 minutes plus 10 after, on a 15-minute grid.
		if len(body.Slots) != 61 {
			t.Fatalf("%d slots, want 61: %s", len(body.Slots), resp.Body)
		}
		first, last := body.Slots[0], body.Slots[len(body.Slots)-1]
		if first.Start != at(8, 0) || first.Employee != "ana" || last.Start != at(17, 30) || last.Employee != "ben" {
			t.Errorf("first %+v, last %+v; want Ana at %s, Ben at %s", first, last, at(8, 0), at(17, 30))
		}
	})
	t.Run("profile", func(t *testing.T) {
		resp := w.invoke(t, to(recorded(t, "slots", "slots-event.json"), company+"/profile", "GET /v1/companies/demo/profile", ""))
		wantStatus(t, "profile", resp, http.StatusOK)
		var body struct {
			Name      string
			Employees []struct{ ID string }
			Services  []struct{ ID string }
		}
		decode(t, resp, &body)
		if body.Name != "Demo Hair & Beauty" || len(body.Employees) != 2 || len(body.Services) != 2 {
			t.Errorf("profile %s", resp.Body)
		}
	})
	t.Run("another function's route is not served here", func(t *testing.T) {
		resp := w.invoke(t, to(recorded(t, "slots", "slots-event.json"), company+"/settings", "GET /v1/companies/demo/settings", ""))
		if resp.StatusCode != http.StatusNotFound || resp.Headers["Content-Type"] != "application/problem+json" {
			t.Errorf("status %d, headers %v; want a 404 problem", resp.StatusCode, resp.Headers)
		}
	})
	w.checkGranted(t)
}

func TestBookBootstrap(t *testing.T) {
	w := run(t, "BookFunction")
	_, at := bookableTuesday(w.now)
	booking := func(key string) events.APIGatewayV2HTTPRequest {
		e := recorded(t, "book", "book-event.json")
		e = to(e, company+"/bookings", "POST /v1/companies/demo/bookings",
			strings.Replace(e.Body, "2027-03-23T08:00:00+01:00", at(8, 0), 1))
		e.Headers["idempotency-key"] = key
		return e
	}

	resp := w.invoke(t, booking("smoke-booking-1"))
	wantStatus(t, "book", resp, http.StatusCreated)
	var b struct{ ID, Start, Status, CancelToken string }
	decode(t, resp, &b)
	if b.Status != "confirmed" || b.Start != at(8, 0) || b.CancelToken == "" {
		t.Errorf("booking %s", resp.Body)
	}

	replay := w.invoke(t, booking("smoke-booking-1"))
	if replay.StatusCode != http.StatusCreated || replay.Body != resp.Body || replay.Headers["Idempotent-Replayed"] != "true" {
		t.Errorf("replay: %d %v %s", replay.StatusCode, replay.Headers, replay.Body)
	}
	if taken := w.invoke(t, booking("smoke-booking-2")); taken.StatusCode != http.StatusConflict || !strings.Contains(taken.Body, "slot_taken") {
		t.Errorf("the same time again: %d %s, want 409 slot_taken", taken.StatusCode, taken.Body)
	}

	cancel := func(token string) events.APIGatewayV2HTTPResponse {
		e := to(recorded(t, "book", "cancel-event.json"), company+"/bookings/{bookingId}", "DELETE /v1/companies/demo/bookings/"+b.ID, "")
		e.Headers["x-cancel-token"] = token
		return w.invoke(t, e)
	}
	wantStatus(t, "cancel with a wrong token", cancel("wrong-token"), http.StatusForbidden)
	wantStatus(t, "cancel", cancel(b.CancelToken), http.StatusNoContent)
	if got, err := w.store.Booking(t.Context(), "demo", b.ID); err != nil || got.Status != slotbook.Cancelled {
		t.Errorf("after cancel: %+v, %v", got, err)
	}

	// The schedule's payload sweeps instead of serving a request: a due
	// removal of a calendar that was disconnected meanwhile is dropped.
	gone := slotbook.EventRemoval{CompanyID: "demo", EmployeeID: "ana", BookingID: "b-old",
		Event: slotbook.EventRef{Connection: "gone", Key: "b-old"}, Start: w.now, End: w.now.Add(time.Hour),
		Reason: slotbook.RemovalCancelled, Due: w.now.Add(-time.Hour), Version: "v1"}
	if err := w.store.PutRemoval(t.Context(), gone, ""); err != nil {
		t.Fatal(err)
	}
	ctx, cancelCtx := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancelCtx()
	r, err := w.rt.Invoke(ctx, []byte(lambdafn.SweepEvent))
	if err != nil || r.Err != nil {
		t.Fatalf("sweep: %v %v\n%s", err, r.Err, w.out)
	}
	var rep slotbook.SweepReport
	if err := json.Unmarshal(r.Payload, &rep); err != nil || rep.Removed != 1 {
		t.Errorf("sweep answered %s, want one removal done", r.Payload)
	}
	if left, _ := w.store.Removals(t.Context(), "demo", "ana"); len(left) != 0 {
		t.Errorf("removals after the sweep: %+v", left)
	}
	w.checkGranted(t)
}

func TestOverviewBootstrap(t *testing.T) {
	w := run(t, "OverviewFunction")
	day, at := bookableTuesday(w.now)
	start, _ := time.Parse(time.RFC3339, at(11, 0))
	_, err := slotbook.NewApp(w.store, seal.NewEphemeral(), time.Now).Book(t.Context(), slotbook.BookingRequest{
		CompanyID: "demo", ServiceID: "haircut", EmployeeID: "ben", Start: start,
		Customer: slotbook.Customer{Name: "Max Muster", Email: "max@mail.example"},
	})
	if err != nil {
		t.Fatal(err)
	}

	list := to(recorded(t, "overview", "list-bookings-event.json"), company+"/bookings",
		"GET /v1/companies/demo/bookings?from="+day+"&to="+day, "")
	resp := w.invoke(t, list)
	wantStatus(t, "bookings", resp, http.StatusOK)
	if !strings.Contains(resp.Body, `"start":"`+at(11, 0)+`"`) || !strings.Contains(resp.Body, "Max Muster") {
		t.Errorf("bookings %s, want Max Muster at %s", resp.Body, at(11, 0))
	}

	overview := to(recorded(t, "overview", "list-bookings-event.json"), company+"/overview",
		"GET /v1/companies/demo/overview?from="+day+"&to="+day+"&employee=ben", "")
	resp = w.invoke(t, overview)
	wantStatus(t, "overview", resp, http.StatusOK)
	if !strings.Contains(resp.Body, "Max Muster") {
		t.Errorf("overview %s lacks the booking", resp.Body)
	}

	unsigned := to(recorded(t, "overview", "list-bookings-event.json"), company+"/bookings",
		"GET /v1/companies/demo/bookings?from="+day+"&to="+day, "")
	unsigned.RequestContext.Authorizer = nil
	wantStatus(t, "without the authorizer's claims", w.invoke(t, unsigned), http.StatusUnauthorized)
	w.checkGranted(t)
}

func TestSettingsBootstrap(t *testing.T) {
	w := run(t, "SettingsFunction")
	day, at := bookableTuesday(w.now)
	admin := func(pattern, target, body string) events.APIGatewayV2HTTPResponse {
		return w.invoke(t, to(recorded(t, "settings", "get-settings-event.json"), company+pattern, target, body))
	}

	resp := w.invoke(t, recorded(t, "settings", "get-settings-event.json"))
	wantStatus(t, "settings", resp, http.StatusOK)
	var settings struct{ Name string }
	if decode(t, resp, &settings); settings.Name != "Demo Hair & Beauty" {
		t.Errorf("settings %s", resp.Body)
	}
	wantStatus(t, "staff sets their own availability", w.invoke(t, recorded(t, "settings", "put-availability-event.json")), http.StatusOK)

	wantStatus(t, "create an employee",
		admin("/employees", "POST /v1/companies/demo/employees", `{"id":"cleo","name":"Cleo Brunner","email":"cleo@demo.example"}`), http.StatusCreated)
	wantStatus(t, "offer a service by her",
		admin("/services/{serviceId}", "PUT /v1/companies/demo/services/haircut",
			`{"name":"Haircut","durationMinutes":30,"bufferAfterMinutes":10,"employees":["ana","ben","cleo"]}`), http.StatusOK)
	wantStatus(t, "record her absence",
		admin("/employees/{employeeId}/absences", "POST /v1/companies/demo/employees/cleo/absences",
			`{"start":"`+at(9, 0)+`","end":"`+at(12, 0)+`","reason":"Dentist"}`), http.StatusCreated)
	resp = admin("/employees/{employeeId}/absences", "GET /v1/companies/demo/employees/cleo/absences?from="+day+"&to="+day, "")
	wantStatus(t, "list her absences", resp, http.StatusOK)
	if !strings.Contains(resp.Body, "Dentist") {
		t.Errorf("absences %s", resp.Body)
	}
	wantStatus(t, "list her calendars", admin("/employees/{employeeId}/calendars", "GET /v1/companies/demo/employees/cleo/calendars", ""), http.StatusOK)
	wantStatus(t, "delete her", admin("/employees/{employeeId}", "DELETE /v1/companies/demo/employees/cleo", ""), http.StatusNoContent)
	resp = admin("/services/{serviceId}", "GET /v1/companies/demo/services/haircut", "")
	wantStatus(t, "the service", resp, http.StatusOK)
	var svc struct{ Employees []string }
	decode(t, resp, &svc)
	if !slices.Equal(svc.Employees, []string{"ana", "ben"}) {
		t.Errorf("haircut employees %v after deleting cleo, want [ana ben]", svc.Employees)
	}

	// Connecting a Google calendar answers Google's consent page, with a
	// state signed by the key in Parameter Store: read on this first need,
	// not before; a read that fails is a 503 and is tried again; a read that
	// worked is kept.
	if reqs := w.ext.Requests(); len(reqs) != 0 {
		t.Errorf("requests that need no secret read %+v from Parameter Store", reqs)
	}
	connect := func() events.APIGatewayV2HTTPResponse {
		return admin("/employees/{employeeId}/calendars", "POST /v1/companies/demo/employees/ana/calendars", `{"provider":"google"}`)
	}
	w.ext.Fail(http.StatusBadGateway, "could not reach SSM")
	resp = connect()
	wantStatus(t, "connect while Parameter Store cannot be read", resp, http.StatusServiceUnavailable)
	if !strings.Contains(resp.Body, `"code":"unavailable"`) || resp.Headers["Content-Type"] != "application/problem+json" {
		t.Errorf("answer %v %s, want an unavailable problem", resp.Headers, resp.Body)
	}
	w.ext.Fail(0, "")
	for range 2 {
		resp = connect()
		wantStatus(t, "connect", resp, http.StatusAccepted)
		var consent struct{ AuthorizationURL string }
		decode(t, resp, &consent)
		u, err := url.Parse(consent.AuthorizationURL)
		if err != nil || u.Query().Get("client_id") != "smoke-google-client" || u.Query().Get("state") == "" {
			t.Errorf("consent page %q, want Google's with the client id and a state", consent.AuthorizationURL)
		}
	}
	stateKey := template(t).Functions[w.name].Env[config.EnvSecretsPath] + "/" + config.ParamOAuthStateKey
	var reads []string
	for _, r := range w.ext.Requests() {
		reads = append(reads, fmt.Sprintf("%s %d", r.Name, r.Status))
		if !r.Decrypt {
			t.Errorf("%s was read without decryption", r.Name)
		}
	}
	if want := []string{stateKey + " 502", stateKey + " 200"}; !slices.Equal(reads, want) {
		t.Errorf("Parameter Store reads %v, want %v: the failed one, the one that worked, then none", reads, want)
	}
	w.checkGranted(t)
}

// TestAFunctionThatCannotStartReportsAnInitError runs a bootstrap without
// its table: it must tell the Runtime API why (POST …/init/error) and exit
// non-zero, never poll for an event.
func TestAFunctionThatCannotStartReportsAnInitError(t *testing.T) {
	bin := hostBootstrap(t, "SlotsFunction")
	rt, err := lambdatest.New()
	if err != nil {
		t.Fatal(err)
	}
	env := lambdaEnv(t, "SlotsFunction", rt)
	env[config.EnvSealKeyFile] = filepath.Join(t.TempDir(), "seal.key")
	p := start(t, "SlotsFunction", bin, rt, env)
	select {
	case <-p.exited:
	case <-rt.Ready():
		t.Fatalf("polled for an event without %s\n%s", config.EnvTable, p.out)
	case <-time.After(30 * time.Second):
		t.Fatalf("still running after 30 s without %s\n%s", config.EnvTable, p.out)
	}
	var exit *exec.ExitError
	if !errors.As(p.err, &exit) || exit.ExitCode() == 0 {
		t.Errorf("exit status %v, want non-zero", p.err)
	}
	if e := rt.InitError(); e == nil {
		t.Errorf("no init error reported to the Runtime API (POST /%s/runtime/init/error); output:\n%s", lambdatest.APIVersion, p.out)
	} else if !strings.Contains(e.Message, config.EnvTable) {
		t.Errorf("init error %+v does not name %s", e, config.EnvTable)
	}
}
