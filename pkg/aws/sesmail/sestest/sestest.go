// Package sestest is a stand-in for Amazon SES API v2's SendEmail, written
// from the SES API v2 reference so that the real sesv2 client can be
// tested against it: REST-JSON, POST /v2/email/outbound-emails, a
// SigV4-signed request, raw content as base64 in Content.Raw.Data, 200
// with a MessageId; errors as the status, the x-amzn-ErrorType header and
// a {"message"} body. Like SES in its sandbox, it refuses a sender that is
// not a verified identity (an address, or any address of a verified
// domain) with 400 MessageRejected.
package sestest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strings"
	"sync"
	"testing"
)

// Sent is one accepted mail.
type Sent struct {
	MessageID string
	From      string
	To        []string
	// Raw is the MIME message, base64 undone.
	Raw []byte
}

// Server is a running stand-in.
type Server struct {
	// URL is its endpoint, for the client's BaseEndpoint.
	URL string

	mu         sync.Mutex
	identities map[string]bool
	sent       []Sent
	fail       []string // error types to answer next, in order
	failAll    string
	srv        *httptest.Server
}

// New starts a stand-in whose verified identities are given (addresses
// or domains); it stops when the test ends.
func New(t testing.TB, identities ...string) *Server {
	s := &Server{identities: map[string]bool{}}
	for _, id := range identities {
		s.identities[strings.ToLower(id)] = true
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

// FailNext makes the next calls fail with these SES error types, one each
// (e.g. "TooManyRequestsException", "MessageRejected").
func (s *Server) FailNext(types ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = append(s.fail, types...)
}

// FailAll makes every call fail with the SES error type typ until Recover.
func (s *Server) FailAll(typ string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failAll = typ
}

// Recover ends FailAll and drops the failures FailNext queued.
func (s *Server) Recover() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failAll, s.fail = "", nil
}

// Sent returns the accepted mails, oldest first.
func (s *Server) Sent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.sent...)
}

// statusOf is the HTTP status SES answers each error type with.
var statusOf = map[string]int{
	"BadRequestException": 400, "MessageRejected": 400, "MailFromDomainNotVerifiedException": 400,
	"AccountSuspendedException": 400, "SendingPausedException": 400, "LimitExceededException": 400,
	"NotFoundException": 404, "TooManyRequestsException": 429, "InternalFailure": 500,
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v2/email/outbound-emails" {
		s.error(w, "NotFoundException", "no such operation: "+r.Method+" "+r.URL.Path)
		return
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") || r.Header.Get("X-Amz-Date") == "" {
		w.Header().Set("x-amzn-ErrorType", "MissingAuthenticationTokenException")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"message":"Missing Authentication Token"}`)
		return
	}
	var in struct {
		FromEmailAddress string
		Destination      *struct{ ToAddresses, CcAddresses, BccAddresses []string }
		Content          *struct {
			Raw    *struct{ Data []byte } // JSON base64, as the blob type is sent
			Simple *json.RawMessage
		}
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		s.error(w, "BadRequestException", "malformed body")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failAll != "" {
		s.error(w, s.failAll, "failing as told")
		return
	}
	if len(s.fail) > 0 {
		e := s.fail[0]
		s.fail = s.fail[1:]
		s.error(w, e, "failing as told")
		return
	}
	if in.Content == nil || in.Content.Raw == nil || len(in.Content.Raw.Data) == 0 {
		s.error(w, "BadRequestException", "Content.Raw.Data is required")
		return
	}
	// SES takes "Name <address>" as well as a bare address.
	addr, err := mail.ParseAddress(in.FromEmailAddress)
	if err != nil {
		s.error(w, "BadRequestException", "FromEmailAddress is not an address")
		return
	}
	from := strings.ToLower(addr.Address)
	_, domain, _ := strings.Cut(from, "@")
	if !s.identities[from] && !s.identities[domain] {
		s.error(w, "MessageRejected", "Email address is not verified. The following identities failed the check in region LOCAL: "+in.FromEmailAddress)
		return
	}
	if in.Destination == nil || len(in.Destination.ToAddresses)+len(in.Destination.CcAddresses)+len(in.Destination.BccAddresses) == 0 {
		s.error(w, "BadRequestException", "no recipients")
		return
	}
	id := fmt.Sprintf("0100018c-%08d-local", len(s.sent)+1)
	s.sent = append(s.sent, Sent{MessageID: id, From: addr.Address, To: in.Destination.ToAddresses, Raw: in.Content.Raw.Data})
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"MessageId":%q}`, id)
}

func (s *Server) error(w http.ResponseWriter, typ, msg string) {
	status := statusOf[typ]
	if status == 0 {
		status = 400
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("x-amzn-ErrorType", typ+":http://internal.amazon.com/coral/com.amazon.aws.sesv2/")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"message":%q}`, msg)
}
