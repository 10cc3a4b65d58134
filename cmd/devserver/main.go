// Command devserver is slotbook's local server (make dev): every route on
// one port, a seeded demo company and local-mode JWTs. It keeps its data in
// the embedded in-memory store, or in DynamoDB (Local) when
// SLOTBOOK_DYNAMODB_ENDPOINT is set.
package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/slotbook/slotbook/pkg/calendar"
	"github.com/slotbook/slotbook/pkg/httpapi"
	"github.com/slotbook/slotbook/pkg/local/demo"
	"github.com/slotbook/slotbook/pkg/local/devauth"
	"github.com/slotbook/slotbook/pkg/schedule"
	"github.com/slotbook/slotbook/pkg/seal"
	"github.com/slotbook/slotbook/pkg/slotbook"
	"github.com/slotbook/slotbook/pkg/store/dynamo"
	"github.com/slotbook/slotbook/pkg/store/inmem"
	"github.com/slotbook/slotbook/web"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout, os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "devserver:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends. Logs go to stderr as JSON; the welcome text
// with a token and curl lines goes to stdout. If ready is not nil, it
// receives the address once the server listens.
func run(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer, ready chan<- string) error {
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	secret := getenv("SLOTBOOK_DEV_JWT_SECRET")
	if secret == "" {
		secret = devauth.DefaultSecret
	}
	port := getenv("PORT")
	if port == "" {
		port = "3000"
	}

	store, where, err := openStore(ctx, getenv)
	if err != nil {
		return err
	}
	var opts []slotbook.Option
	// The embedded store lives as long as the process, and so may its key.
	var secrets slotbook.Sealer = seal.NewEphemeral()
	if getenv("SLOTBOOK_DYNAMODB_ENDPOINT") != "" {
		// Data outlives the process: so must the key of sealed secrets.
		keyFile := cmp.Or(getenv("SLOTBOOK_SEAL_KEY_FILE"), filepath.Join(".tools", "seal.key"))
		if secrets, err = seal.NewLocal(keyFile); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("localhost", port))
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	opts = append(opts, slotbook.WithLogger(log))
	opts = append(opts, calendarOptions(getenv, base)...)
	app := slotbook.NewApp(store, secrets, time.Now, opts...)
	if err := demo.Seed(ctx, app, time.Now()); err != nil {
		ln.Close()
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/", crossOrigin(httpapi.NewHandler(app, devauth.NewVerifier(secret), log), corsOrigins(base, getenv)))
	mux.Handle("/", web.Handler(web.Config{Auth: web.Auth{Mode: "local"}}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	if err := welcome(stdout, base, where, secret); err != nil {
		return err
	}
	if ready != nil {
		ready <- base
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	go sweep(ctx, app, log, sweepEvery)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// sweepEvery is how often the local server works through the calendar
// events that wait to be removed (Sweep); on AWS a schedule does it.
const sweepEvery = 30 * time.Second

// sweep runs app.Sweep every interval until ctx ends.
func sweep(ctx context.Context, app *slotbook.App, log *slog.Logger, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rep, err := app.Sweep(ctx)
		switch {
		case err != nil:
			log.WarnContext(ctx, "sweep failed", "err", err.Error())
		case rep != (slotbook.SweepReport{}):
			log.InfoContext(ctx, "sweep", "removed", rep.Removed, "released", rep.Released, "postponed", rep.Postponed, "kept", rep.Kept)
		}
	}
}

// calendarOptions configures the calendar providers for local mode:
// CalDAV and ICS always (loopback hosts allowed, for a local Radicale),
// Google and Microsoft when their OAuth apps are set in the environment.
func calendarOptions(getenv func(string) string, base string) []slotbook.Option {
	cfg := calendar.FromEnv(getenv)
	cfg.RedirectURL = cmp.Or(cfg.RedirectURL, base+"/v1/oauth/callback")
	cfg.AllowPrivateNetworks = true
	set := calendar.New(cfg)
	opts := []slotbook.Option{
		slotbook.WithProviders(set.Calendars), slotbook.WithPrivateCalendarHosts(),
		slotbook.WithPublicURL(cmp.Or(getenv("SLOTBOOK_PUBLIC_URL"), base)),
		slotbook.WithDashboardURL(cmp.Or(getenv("SLOTBOOK_DASHBOARD_URL"), base+"/dashboard/")),
	}
	if len(set.OAuth) > 0 {
		// A key per process: an authorization link works until the server restarts.
		key := []byte(getenv("SLOTBOOK_OAUTH_STATE_KEY"))
		if len(key) == 0 {
			key = make([]byte, 32)
			rand.Read(key)
		}
		opts = append(opts, slotbook.WithOAuth(set.OAuth, key))
	}
	return opts
}

// openStore returns the store the environment asks for, and says which.
func openStore(ctx context.Context, getenv func(string) string) (slotbook.Store, string, error) {
	endpoint := getenv("SLOTBOOK_DYNAMODB_ENDPOINT")
	if endpoint == "" {
		return inmem.New(), "embedded store", nil
	}
	table := getenv("SLOTBOOK_TABLE")
	if table == "" {
		table = "slotbook"
	}
	store, err := dynamo.Open(ctx, dynamo.Config{Endpoint: endpoint, Table: table})
	if err != nil {
		return nil, "", err
	}
	return store, fmt.Sprintf("DynamoDB at %s, table %s", endpoint, table), nil
}

// welcome prints an admin token for the demo company and curl lines that work.
func welcome(w io.Writer, base, where, secret string) error {
	token, err := devauth.Sign(secret, demo.Admin, time.Now(), 30*24*time.Hour)
	if err != nil {
		return err
	}
	zone, err := slotbook.LoadZone("Europe/Zurich")
	if err != nil {
		return err
	}
	from := schedule.DateOf(time.Now().In(zone))
	to := from.AddDays(6)
	_, err = fmt.Fprintf(w, `slotbook local server on %[1]s (%[6]s, demo company %[2]q)

Admin token for %[2]s (valid 30 days):
  export TOKEN=%[3]s

Free slots of the demo haircut this week:
  curl '%[1]s/v1/companies/%[2]s/slots?service=haircut&from=%[4]s&to=%[5]s'

Company settings (signed in):
  curl -H "Authorization: Bearer $TOKEN" %[1]s/v1/companies/%[2]s/settings

In the browser:
  booking widget  %[1]s/widget/
  dashboard       %[1]s/dashboard/#token=%[3]s

`, base, demo.CompanyID, token, from, to, where)
	return err
}

// crossOrigin answers CORS for the API in local mode (on AWS the HTTP
// API's CORS configuration, template.yaml's CorsOrigins, does). The public
// widget routes are open to every origin, as a company's site that embeds
// the widget needs, but never with the Authorization header: a page of
// another origin cannot use a visitor's signed-in dashboard, whatever the
// JWT secret (whose default, dev-secret, is public). The signed-in routes
// answer CORS only for origins in allowed (the server's own, and
// SLOTBOOK_CORS_ORIGINS); for any other origin the browser refuses.
func crossOrigin(next http.Handler, allowed []string) http.Handler {
	public := http.NewServeMux()
	for _, rt := range httpapi.Routes() {
		if rt.Public() {
			public.Handle(rt.Method+" "+rt.Pattern, http.NotFoundHandler())
		}
	}
	isPublic := func(method string, r *http.Request) bool {
		probe := r.Clone(r.Context())
		probe.Method = method
		_, pattern := public.Handler(probe)
		return pattern != ""
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Add("Vary", "Origin")
		method := r.Method
		preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
		if preflight {
			method = r.Header.Get("Access-Control-Request-Method")
		}
		headers := "Content-Type, Idempotency-Key, X-Cancel-Token, X-Request-Id"
		switch {
		case slices.Contains(allowed, origin):
			h.Set("Access-Control-Allow-Origin", origin)
			headers += ", Authorization"
		case isPublic(method, r):
			h.Set("Access-Control-Allow-Origin", "*")
		default:
			// No CORS headers: the browser keeps the answer from the page.
			if preflight {
				w.WriteHeader(http.StatusNoContent)
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		h.Set("Access-Control-Expose-Headers", "X-Request-Id, Location, Idempotent-Replayed, Retry-After, WWW-Authenticate")
		if preflight {
			h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE")
			h.Set("Access-Control-Allow-Headers", headers)
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// corsOrigins returns the origins the signed-in routes answer CORS for:
// the server's own (base) and those in SLOTBOOK_CORS_ORIGINS, separated by
// commas.
func corsOrigins(base string, getenv func(string) string) []string {
	out := []string{base}
	if u, err := url.Parse(base); err == nil && u.Hostname() == "localhost" {
		out = append(out, "http://127.0.0.1:"+u.Port())
	}
	for _, o := range strings.Split(getenv("SLOTBOOK_CORS_ORIGINS"), ",") {
		if o = strings.TrimSuffix(strings.TrimSpace(o), "/"); o != "" {
			out = append(out, o)
		}
	}
	return out
}
