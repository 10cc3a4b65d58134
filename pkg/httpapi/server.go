// Package httpapi is slotbook's HTTP layer: plain net/http handlers that
// decode and validate a request, call one use case of the domain, and
// encode the answer or the problem. The same handlers serve the local
// server and, through an API Gateway adapter, the Lambda functions.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

// Authenticator finds the signed-in caller of a request.
type Authenticator interface {
	// Authenticate returns the caller of r. ok is false when r carries no
	// credentials; an error means credentials that are not valid.
	Authenticate(r *http.Request) (p slotbook.Principal, ok bool, err error)
}

type server struct {
	app  *slotbook.App
	auth Authenticator
	log  *slog.Logger
}

// NewHandler returns the handler of the routes of the given groups (all if
// none is given) over app. auth finds the caller of routes that need one;
// log receives one line per request and the causes of internal errors.
func NewHandler(app *slotbook.App, auth Authenticator, log *slog.Logger, groups ...Group) http.Handler {
	s := &server{app: app, auth: auth, log: log}
	mux := http.NewServeMux()
	for _, rt := range routes {
		if !inGroups(rt.Group, groups) {
			continue
		}
		handle, auth, pattern := rt.handle, rt.Access != Anonymous, rt.Pattern
		mux.HandleFunc(rt.Method+" "+rt.Pattern, func(w http.ResponseWriter, r *http.Request) {
			if auth {
				var err error
				if r, err = s.authenticate(r); err != nil {
					writeError(w, r, s.log, err)
					return
				}
			}
			if p, ok := slotbook.PrincipalFrom(r.Context()); ok && p.Role == slotbook.RoleSupport {
				// Every look of the vendor's support into a company is on record:
				// who, which company, which route — never the data.
				s.log.InfoContext(r.Context(), "support access", "request_id", RequestID(r.Context()),
					"sub", p.Subject, "company", r.PathValue("companyId"), "route", r.Pattern)
			}
			ctx, draft := s.beginAudit(r, pattern)
			if err := handle(s, w, r.WithContext(ctx)); err != nil {
				writeError(w, r, s.log, err)
			}
			s.endAudit(w, r, draft)
		})
	}
	return s.middleware(mux)
}

// audited are the reads that are audited whoever makes them: they show a
// customer's personal data.
var audited = map[string]bool{"GET " + company + "/customers/export": true}

// beginAudit starts the audit entry of a write of a company's data, a
// support read or an audited read — the route, and the ids of its path
// (and of what it creates), never a body or a query — and returns r's
// context carrying it, for the store to write with the request's first
// change. Other requests get r's context and no entry.
func (s *server) beginAudit(r *http.Request, pattern string) (context.Context, *slotbook.AuditDraft) {
	companyID := r.PathValue("companyId")
	if companyID == "" {
		return r.Context(), nil
	}
	p, _ := slotbook.PrincipalFrom(r.Context())
	if r.Method == http.MethodGet && p.Role != slotbook.RoleSupport && !audited[r.Method+" "+pattern] {
		return r.Context(), nil
	}
	var target []string
	for rest := pattern; ; {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			break
		}
		name := rest[i+1 : i+j]
		rest = rest[i+j+1:]
		if name != "companyId" {
			target = append(target, name+"="+r.PathValue(name))
		}
	}
	action := r.Method + " " + strings.TrimPrefix(pattern, company)
	return s.app.BeginAudit(r.Context(), companyID, action, strings.Join(target, ","))
}

// endAudit ends the audit entry of a request (nil: none), appending it if
// the request succeeded and no write carried it.
func (s *server) endAudit(w http.ResponseWriter, r *http.Request, d *slotbook.AuditDraft) {
	if d == nil {
		return
	}
	status := http.StatusOK
	if sw, ok := w.(*statusWriter); ok && sw.status != 0 {
		status = sw.status
	}
	if loc := w.Header().Get("Location"); status == http.StatusCreated && loc != "" {
		d.Created(path.Base(loc))
	}
	s.app.EndAudit(context.WithoutCancel(r.Context()), d, status < 400)
}

// authenticate puts the caller of r, if any, into r's context.
func (s *server) authenticate(r *http.Request) (*http.Request, error) {
	p, ok, err := s.auth.Authenticate(r)
	if err != nil {
		s.log.InfoContext(r.Context(), "credentials refused", "reason", err.Error())
		return r, slotbook.Errorf(slotbook.Unauthorized, "The credentials are not valid.")
	}
	if !ok {
		return r, nil
	}
	return r.WithContext(slotbook.WithPrincipal(r.Context(), p)), nil
}

type requestIDKey struct{}

// RequestID returns the id of the request ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

var safeRequestID = regexp.MustCompile(`^[A-Za-z0-9._=-]{1,128}$`)

// middleware gives every request an id, turns the mux's own 404 and 405
// answers into problems, recovers from panics and logs one line per request.
func (s *server) middleware(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !safeRequestID.MatchString(id) {
			id = slotbook.NewID()
		}
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id))
		w.Header().Set("X-Request-Id", id)
		sw := &statusWriter{ResponseWriter: w}

		defer func() {
			if v := recover(); v != nil {
				s.log.ErrorContext(r.Context(), "panic", "request_id", id, "panic", v)
				if sw.status == 0 {
					writeError(sw, r, s.log, slotbook.Errorf(slotbook.Internal, "panic"))
				}
			}
			s.log.InfoContext(r.Context(), "request",
				"request_id", id, "method", r.Method, "route", r.Pattern,
				"status", sw.status, "duration_ms", time.Since(start).Milliseconds())
		}()

		h, pattern := mux.Handler(r)
		if pattern == "" {
			s.notRouted(sw, r, h)
			return
		}
		mux.ServeHTTP(sw, r)
	})
}

// notRouted answers a request that matches no route, as a problem: 404, or
// 405 with the Allow header when the path exists for other methods.
func (s *server) notRouted(w http.ResponseWriter, r *http.Request, h http.Handler) {
	probe := &probeWriter{header: http.Header{}}
	h.ServeHTTP(probe, r)
	if probe.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", probe.header.Get("Allow"))
		writeError(w, r, s.log, &httpError{codeMethodNotAllowed, "This route does not take " + r.Method + "."})
		return
	}
	writeError(w, r, s.log, slotbook.Errorf(slotbook.NotFound, "There is no such route."))
}

// statusWriter remembers the status of the answer.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// probeWriter records what the mux's fallback handler would answer.
type probeWriter struct {
	header http.Header
	status int
}

func (p *probeWriter) Header() http.Header         { return p.header }
func (p *probeWriter) Write(b []byte) (int, error) { return len(b), nil }
func (p *probeWriter) WriteHeader(code int)        { p.status = code }
