package maildevtest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"

	ical "github.com/emersion/go-ical"
)

// Parsed is a MIME mail taken apart: what slotbook's mails are checked by.
type Parsed struct {
	Header mail.Header
	// Subject is decoded (RFC 2047).
	Subject string
	// Types lists every leaf part's media type with its parameters, in
	// order, and the structure's multipart types ("multipart/mixed",
	// "multipart/alternative").
	Types []string
	Plain string
	HTML  string
	// Calendar is the text/calendar part, parsed with go-ical;
	// CalendarMethod its Content-Type's method parameter.
	Calendar       *ical.Calendar
	CalendarMethod string
	// Attachments are the file names of the attachments.
	Attachments []string
	// AttachedICS is the .ics attachment, parsed.
	AttachedICS *ical.Calendar
	// Decoded holds every leaf part's body, transfer encoding undone.
	Decoded []string
}

// Text returns everything a reader of the mail can see — the headers and
// every part decoded — for searches that the raw source's quoted-printable
// line breaks would defeat.
func (p *Parsed) Text() string {
	var b strings.Builder
	for k, vs := range p.Header {
		for _, v := range vs {
			b.WriteString(k + ": " + v + "\n")
		}
	}
	b.WriteString("Subject: " + p.Subject + "\n")
	for _, d := range p.Decoded {
		b.WriteString(d)
		b.WriteString("\n")
	}
	return b.String()
}

// Parse takes a mail's source apart.
func Parse(src []byte) (*Parsed, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(src))
	if err != nil {
		return nil, err
	}
	p := &Parsed{Header: msg.Header}
	if p.Subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return nil, fmt.Errorf("subject: %w", err)
	}
	return p, p.walk(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), "", msg.Body)
}

func (p *Parsed) walk(contentType, encoding, disposition string, body io.Reader) error {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("content type %q: %w", contentType, err)
	}
	p.Types = append(p.Types, mt)
	if strings.HasPrefix(mt, "multipart/") {
		r := multipart.NewReader(body, params["boundary"])
		for {
			part, err := r.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if err := p.walk(part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"), part.Header.Get("Content-Disposition"), part); err != nil {
				return err
			}
		}
	}
	data, err := decode(encoding, body)
	if err != nil {
		return err
	}
	p.Decoded = append(p.Decoded, string(data))
	if disposition != "" {
		if d, dp, err := mime.ParseMediaType(disposition); err == nil && d == "attachment" {
			p.Attachments = append(p.Attachments, dp["filename"])
			if strings.HasSuffix(dp["filename"], ".ics") {
				p.AttachedICS, err = ical.NewDecoder(bytes.NewReader(data)).Decode()
				return err
			}
			return nil
		}
	}
	switch mt {
	case "text/plain":
		p.Plain = string(data)
	case "text/html":
		p.HTML = string(data)
	case "text/calendar":
		p.CalendarMethod = params["method"]
		p.Calendar, err = ical.NewDecoder(bytes.NewReader(data)).Decode()
		return err
	}
	return nil
}

func decode(encoding string, r io.Reader) ([]byte, error) {
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		return io.ReadAll(quotedprintable.NewReader(r))
	case "base64":
		return io.ReadAll(base64.NewDecoder(base64.StdEncoding, newlineStripper{r}))
	}
	return io.ReadAll(r)
}

// newlineStripper drops line breaks, which base64 bodies carry.
type newlineStripper struct{ r io.Reader }

func (n newlineStripper) Read(b []byte) (int, error) {
	k, err := n.r.Read(b)
	j := 0
	for _, c := range b[:k] {
		if c != '\r' && c != '\n' {
			b[j] = c
			j++
		}
	}
	return j, err
}

// Event returns the one VEVENT of c and its UID, SEQUENCE, start and end
// as text, for comparisons.
func Event(c *ical.Calendar) (uid, sequence, start, end, method string, err error) {
	if c == nil {
		return "", "", "", "", "", fmt.Errorf("no calendar")
	}
	evs := c.Events()
	if len(evs) != 1 {
		return "", "", "", "", "", fmt.Errorf("%d events, want 1", len(evs))
	}
	ev := evs[0]
	get := func(name string) string {
		if p := ev.Props.Get(name); p != nil {
			return p.Value
		}
		return ""
	}
	m := ""
	if p := c.Props.Get(ical.PropMethod); p != nil {
		m = p.Value
	}
	return get(ical.PropUID), get(ical.PropSequence), get(ical.PropDateTimeStart), get(ical.PropDateTimeEnd), m, nil
}
