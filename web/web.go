// Package web serves slotbook's browser pages: the booking widget that a
// company embeds in its own site (widget/), the cancel and reschedule pages
// behind the links in every confirmation, and the staff dashboard
// (dashboard/). The files are plain HTML, CSS and JavaScript with no build
// step, embedded into the local server here and deployable as static files
// anywhere; config.json tells the pages where the API is and how staff sign
// in.
package web

import (
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed widget dashboard
var files embed.FS

// Files returns the static files: widget/… and dashboard/….
func Files() fs.FS { return files }

// Config is what the pages read from /config.json.
type Config struct {
	// API is the base URL of the API; "" means the pages' own origin.
	API string `json:"api"`
	// Auth says how dashboard users sign in.
	Auth Auth `json:"auth"`
}

// Auth is the dashboard's sign-in configuration.
type Auth struct {
	// Mode is "local" (paste the token the local server prints, or open its
	// link) or "cognito" (the Cognito hosted UI, authorization code + PKCE).
	Mode string `json:"mode"`
	// Domain is the hosted UI's base URL (cognito mode).
	Domain string `json:"domain,omitempty"`
	// ClientID is the user pool app client id (cognito mode).
	ClientID string `json:"clientId,omitempty"`
	// Scopes are the OAuth scopes asked for (cognito mode).
	Scopes string `json:"scopes,omitempty"`
}

// Handler serves the pages and /config.json. "/" leads to the widget's
// demo page.
func Handler(cfg Config) http.Handler {
	config, err := json.Marshal(cfg)
	if err != nil {
		panic(err) // a struct of strings always marshals
	}
	static := http.FileServerFS(files)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /config.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(config)
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/widget/", http.StatusFound)
	})
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if strings.HasPrefix(r.URL.Path, "/dashboard/") {
			// The dashboard holds a bearer token: no other site may frame it.
			h.Set("Content-Security-Policy", "frame-ancestors 'none'")
		}
		static.ServeHTTP(w, r)
	})
	return mux
}
