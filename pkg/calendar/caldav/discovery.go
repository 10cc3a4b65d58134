package caldav

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// multistatus is the part of a PROPFIND answer discovery reads.
type multistatus struct {
	Responses []struct {
		Href     string `xml:"DAV: href"`
		Status   string `xml:"DAV: status"`
		Propstat []struct {
			Status string `xml:"DAV: status"`
			Prop   struct {
				Principal *struct {
					Href            string    `xml:"DAV: href"`
					Unauthenticated *struct{} `xml:"DAV: unauthenticated"`
				} `xml:"DAV: current-user-principal"`
				HomeSet *struct {
					Href []string `xml:"DAV: href"`
				} `xml:"urn:ietf:params:xml:ns:caldav calendar-home-set"`
				AddressSet *struct {
					Href []string `xml:"DAV: href"`
				} `xml:"urn:ietf:params:xml:ns:caldav calendar-user-address-set"`
				Privileges *struct {
					Privilege []struct {
						Any []struct {
							XMLName xml.Name
						} `xml:",any"`
					} `xml:"DAV: privilege"`
				} `xml:"DAV: current-user-privilege-set"`
			} `xml:"DAV: prop"`
		} `xml:"DAV: propstat"`
	} `xml:"DAV: response"`
}

// errUnauthenticated is returned when the server names no principal for
// the credentials (DAV:unauthenticated).
var errUnauthenticated = errors.New("server did not authenticate the user")

// principal returns the URL of the current user's principal on the
// account's server. It reads DAV:current-user-principal itself rather than
// with go-webdav's FindCurrentUserPrincipal, which reports a path that does
// not exist on servers that answer 207 with a 404 inside (Xandikos) as a
// malformed response instead of a 404.
func (s *session) principal(ctx context.Context) (*url.URL, error) {
	ms, err := s.propfind(ctx, s.base, "0", `<D:current-user-principal/>`)
	if err != nil {
		return nil, err
	}
	for _, r := range ms.Responses {
		for _, ps := range r.Propstat {
			p := ps.Prop.Principal
			if p == nil {
				continue
			}
			if p.Unauthenticated != nil {
				return nil, errUnauthenticated
			}
			ref, err := url.Parse(strings.TrimSpace(p.Href))
			if err != nil || p.Href == "" {
				continue
			}
			// The principal's path on the account's server, as go-webdav
			// did: a server cannot send discovery to another host here.
			u := *s.base
			u.Path, u.RawPath = s.base.ResolveReference(ref).Path, ""
			return &u, nil
		}
	}
	return nil, errors.New("no current-user-principal")
}

// homeSet returns the calendar home of a principal as a full URL, and the
// user's e-mail address where the server tells it (the first mailto: of
// calendar-user-address-set). iCloud answers with a home on another host
// (pNN-caldav.icloud.com), which go-webdav's FindCalendarHomeSet would
// reduce to its path.
func (s *session) homeSet(ctx context.Context, principal *url.URL) (home *url.URL, email string, err error) {
	ms, err := s.propfind(ctx, principal, "0", `<C:calendar-home-set/><C:calendar-user-address-set/>`)
	if err != nil {
		return nil, "", err
	}
	for _, r := range ms.Responses {
		for _, ps := range r.Propstat {
			if ps.Prop.AddressSet != nil && email == "" {
				for _, h := range ps.Prop.AddressSet.Href {
					if addr, ok := strings.CutPrefix(strings.TrimSpace(h), "mailto:"); ok && addr != "" {
						email = addr
						break
					}
				}
			}
			if ps.Prop.HomeSet == nil || len(ps.Prop.HomeSet.Href) == 0 || home != nil {
				continue
			}
			ref, err := url.Parse(strings.TrimSpace(ps.Prop.HomeSet.Href[0]))
			if err != nil {
				return nil, "", errors.New("invalid calendar-home-set")
			}
			home = principal.ResolveReference(ref)
			if home.Scheme != "https" && home.Scheme != "http" {
				return nil, "", errors.New("invalid calendar-home-set")
			}
			if home.Scheme == "http" && !s.allowHTTP {
				return nil, "", fmt.Errorf("the calendar home: %w", errPlainHTTP)
			}
			home.User, home.RawQuery, home.Fragment = nil, "", ""
			if !strings.HasSuffix(home.Path, "/") {
				home.Path += "/"
			}
		}
	}
	if home == nil {
		return nil, "", errors.New("no calendar-home-set")
	}
	return home, email, nil
}

// privileges returns, for each collection in the calendar home (by path
// without trailing slash), whether the user may write into it. Collections
// the server reports no privileges for are missing from the map.
func (s *session) privileges(ctx context.Context, home *url.URL) (map[string]bool, error) {
	ms, err := s.propfind(ctx, home, "1", `<D:current-user-privilege-set/>`)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, r := range ms.Responses {
		ref, err := url.Parse(strings.TrimSpace(r.Href))
		if err != nil {
			continue
		}
		p := strings.TrimSuffix(home.ResolveReference(ref).Path, "/")
		for _, ps := range r.Propstat {
			if ps.Prop.Privileges == nil || !strings.Contains(ps.Status, " 200") {
				continue
			}
			w := false
			for _, priv := range ps.Prop.Privileges.Privilege {
				for _, a := range priv.Any {
					switch a.XMLName.Local {
					case "all", "write", "write-content", "bind":
						w = w || a.XMLName.Space == "DAV:"
					}
				}
			}
			out[p] = w
		}
	}
	return out, nil
}

// propfind sends a PROPFIND for props (elements in the DAV: namespace as
// D:, CalDAV as C:) and decodes the answer.
func (s *session) propfind(ctx context.Context, u *url.URL, depth, props string) (*multistatus, error) {
	body := `<?xml version="1.0" encoding="utf-8"?>` +
		`<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop>` + props + `</D:prop></D:propfind>`
	var ms multistatus
	if err := s.multistatus(ctx, "PROPFIND", u, depth, body, &ms); err != nil {
		return nil, err
	}
	// Some servers (Xandikos) answer a PROPFIND of a path that does not
	// exist with 207 and the 404 inside.
	if depth == "0" {
		for _, r := range ms.Responses {
			if st := statusCode(r.Status); st != 0 && st/100 != 2 {
				return nil, &httpError{status: st}
			}
		}
	}
	return &ms, nil
}
