// Command devserver is slotbook's local server (make dev): every route on
// one port, a seeded demo company and local-mode JWTs. It keeps its data in
// the embedded in-memory store, or in DynamoDB (Local) when
// config.EnvDynamoDBEndpoint is set. Its environment is pkg/config's.
package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
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
	"syscall"
	"time"

	"github.com/slotbook/slotbook/pkg/config"
	"github.com/slotbook/slotbook/pkg/httpapi"
	"github.com/slotbook/slotbook/pkg/local/demo"
	"github.com/slotbook/slotbook/pkg/local/devauth"
	"github.com/slotbook/slotbook/pkg/mail"
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
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return err
	}
	secret := cmp.Or(string(cfg.DevJWTSecret), devauth.DefaultSecret)
	store, where, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	// The embedded store lives as long as the process, and so may its key.
	var secrets slotbook.Sealer = seal.NewEphemeral()
	if cfg.DynamoDBEndpoint != "" {
		// Data outlives the process: so must the key of sealed secrets.
		if secrets, err = seal.NewLocal(cmp.Or(cfg.SealKeyFile, filepath.Join(".tools", "seal.key"))); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("localhost", cmp.Or(cfg.Port, "3000")))
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	opts, err := localOptions(cfg, base)
	if err != nil {
		ln.Close()
		return err
	}
	mailer, mailWhere, err := localMailer(cfg)
	if err != nil {
		ln.Close()
		return err
	}
	opts = append(opts, slotbook.WithMailer(mailer), slotbook.WithLogger(log))
	app := slotbook.NewApp(store, secrets, time.Now, opts...)
	if err := demo.Seed(ctx, app, time.Now()); err != nil {
		ln.Close()
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/", crossOrigin(httpapi.NewHandler(app, devauth.NewVerifier(secret), log), corsOrigins(base, cfg.CORSOrigins)))
	mux.Handle("/", web.Handler(web.Config{Auth: web.Auth{Mode: "local"}}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	if err := welcome(stdout, base, where, mailWhere, secret); err != nil {
		return err
	}
	if ready != nil {
		ready <- base
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	go repeat(ctx, sweepEvery, func() { sweep(ctx, app, log) })
	go repeat(ctx, deliverEvery, func() { deliver(ctx, app, log) })
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

// repeat runs do every interval until ctx ends.
func repeat(ctx context.Context, every time.Duration, do func()) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		do()
	}
}

// sweep runs app.Sweep (see repeat).
func sweep(ctx context.Context, app *slotbook.App, log *slog.Logger) {
	rep, err := app.Sweep(ctx)
	switch {
	case err != nil:
		log.WarnContext(ctx, "sweep failed", "err", err.Error())
	case rep != (slotbook.SweepReport{}):
		log.InfoContext(ctx, "sweep", "removed", rep.Removed, "released", rep.Released, "postponed", rep.Postponed, "kept", rep.Kept,
			"anonymized", rep.Anonymized)
	}
}

// deliverEvery is how often the local server sends the mails that are due
// (api.md: a due reminder within 30 s of its time); on AWS the notify
// function sends each at its time.
const deliverEvery = 5 * time.Second

// deliver sends the due notifications (see repeat).
func deliver(ctx context.Context, app *slotbook.App, log *slog.Logger) {
	if _, err := app.DeliverDue(ctx, 0); err != nil && ctx.Err() == nil {
		log.WarnContext(ctx, "mail delivery failed", "code", string(slotbook.ErrorCode(err)))
	}
}

// defaultMailFrom is the local server's sender when config.EnvMailFrom is
// not set.
const defaultMailFrom = "bookings@slotbook.localhost"

// localMailer returns the local server's mailer: SMTP to
// config.EnvSMTPURL, else .eml files in config.EnvMailDir (.build/mail),
// and says which.
func localMailer(cfg config.Config) (slotbook.Mailer, string, error) {
	from := mail.From{Address: cmp.Or(cfg.MailFrom, defaultMailFrom)}
	if cfg.SMTPURL != "" {
		t, err := mail.NewSMTP(cfg.SMTPURL)
		if err != nil {
			return nil, "", err
		}
		return &mail.Sender{From: from, Transport: t}, "mails go to " + cfg.SMTPURL, nil
	}
	dir := cmp.Or(cfg.MailDir, filepath.Join(".build", "mail"))
	return &mail.Sender{From: from, Transport: mail.Dir{Path: dir}}, "mails are written to " + dir + "/ as .eml files", nil
}

// localOptions returns the App's options in local mode: cfg's, with the
// local server's defaults — links to its own pages, CalDAV and ICS on
// loopback hosts allowed (for a local Radicale), and, unless the
// environment gives one, an OAuth state key of this process (an
// authorization link works until the server restarts). Google and
// Microsoft are there when their OAuth apps are set in the environment.
func localOptions(cfg config.Config, base string) ([]slotbook.Option, error) {
	cfg.Calendar.RedirectURL = cmp.Or(cfg.Calendar.RedirectURL, base+"/v1/oauth/callback")
	cfg.Calendar.AllowPrivateNetworks = true
	cfg.PublicURL = cmp.Or(cfg.PublicURL, base+"/widget")
	cfg.DashboardURL = cmp.Or(cfg.DashboardURL, base+"/dashboard/")
	if cfg.OAuthStateKey == "" {
		key := make([]byte, 32)
		rand.Read(key)
		cfg.OAuthStateKey = config.Secret(base64.RawURLEncoding.EncodeToString(key))
	}
	return cfg.Options(nil)
}

// openStore returns the store the configuration asks for, and says which.
func openStore(ctx context.Context, cfg config.Config) (slotbook.Store, string, error) {
	if cfg.DynamoDBEndpoint == "" {
		return inmem.New(), "embedded store", nil
	}
	table := cmp.Or(cfg.Table, "slotbook")
	store, err := dynamo.Open(ctx, dynamo.Config{Endpoint: cfg.DynamoDBEndpoint, Table: table})
	if err != nil {
		return nil, "", err
	}
	return store, fmt.Sprintf("DynamoDB at %s, table %s", cfg.DynamoDBEndpoint, table), nil
}

// welcome prints an admin token for the demo company and curl lines that work.
func welcome(w io.Writer, base, where, mailWhere, secret string) error {
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

Mail: %[7]s
  (make dev starts a mail catcher and prints where to read them)

`, base, demo.CompanyID, token, from, to, where, mailWhere)
	return err
}

// crossOrigin answers CORS for the API in local mode (on AWS the HTTP
// API's CORS configuration, template.yaml's CorsOrigins, does). The public
// widget routes are open to every origin, as a company's site that embeds
// the widget needs, but never with the Authorization header: a page of
// another origin cannot use a visitor's signed-in dashboard, whatever the
// JWT secret (whose default, dev-secret, is public). The signed-in routes
// answer CORS only for origins in allowed (the server's own, and
// config.EnvCORSOrigins); for any other origin the browser refuses.
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
// the server's own (base) and extra (config.EnvCORSOrigins).
func corsOrigins(base string, extra []string) []string {
	out := []string{base}
	if u, err := url.Parse(base); err == nil && u.Hostname() == "localhost" {
		out = append(out, "http://127.0.0.1:"+u.Port())
	}
	return append(out, extra...)
}
