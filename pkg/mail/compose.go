// Package mail composes slotbook's notification mails and hands them to a
// mail service. A mail is multipart/alternative — text, HTML and a
// text/calendar part (METHOD:REQUEST or METHOD:CANCEL) — with the same
// calendar also attached as an .ics file, so that every mail program
// offers to add, move or remove the appointment. Transports: SMTP
// (local mode, with go-mail's client), .eml files in a folder (local mode
// without a mail server), and Amazon SES (pkg/aws/sesmail, from the raw
// MIME this package writes).
package mail

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"
	"time"

	ical "github.com/emersion/go-ical"
	gomail "github.com/wneessen/go-mail"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

// From is the sender of every mail: the address the mail service may send
// from, and, as its display name, the company of each mail.
type From struct {
	Address string
}

// Compose writes m as a MIME message from from. It never reads anything
// but m: what a mail says is decided by the domain (slotbook.Message),
// and no external calendar's content is ever in it.
func Compose(from From, m slotbook.Message, now time.Time) (*gomail.Msg, error) {
	tx := textOf(m.Lang)
	msg := gomail.NewMsg()
	if err := msg.FromFormat(m.CompanyName, from.Address); err != nil {
		return nil, fmt.Errorf("mail: the sender address: %w", err)
	}
	if err := msg.AddToFormat(m.ToName, m.ToAddress); err != nil {
		return nil, &slotbook.DeliveryError{Class: "bad_address", Permanent: true, Err: err}
	}
	start := m.Start.In(zoneOf(m))
	msg.Subject(fmt.Sprintf(tx.subject[m.To][m.Kind], orService(m, tx), tx.dateFormat(start, tx), start.Format("15:04")))
	msg.SetMessageIDWithValue(m.ID + "@slotbook")
	msg.SetDateWithValue(now)
	msg.SetGenHeader(gomail.HeaderXAutoResponseSuppress, "All")
	msg.SetGenHeader("Auto-Submitted", "auto-generated")

	plain, html, err := bodies(m, tx)
	if err != nil {
		return nil, err
	}
	cal, err := Calendar(from, m, now)
	if err != nil {
		return nil, err
	}
	method := "REQUEST"
	if m.Cancelled() {
		method = "CANCEL"
	}
	msg.SetBodyString(gomail.TypeTextPlain, plain)
	msg.AddAlternativeString(gomail.TypeTextHTML, html)
	msg.AddAlternativeString(gomail.ContentType("text/calendar; method="+method), string(cal))
	if err := msg.AttachReader("invite.ics", bytes.NewReader(cal), gomail.WithFileContentType("application/ics")); err != nil {
		return nil, fmt.Errorf("mail: attach the calendar: %w", err)
	}
	return msg, nil
}

func zoneOf(m slotbook.Message) *time.Location {
	if m.Zone != nil {
		return m.Zone
	}
	return time.UTC
}

// orService is the service's name, or a word for an appointment if the
// service was deleted meanwhile.
func orService(m slotbook.Message, tx text) string {
	if m.ServiceName != "" {
		return m.ServiceName
	}
	if m.Lang == slotbook.English {
		return "Appointment"
	}
	return "Termin"
}

// line is one "label: value" row of a mail.
type line struct{ Label, Value string }

// link is a button of a mail.
type link struct{ Label, URL string }

// view is what the text and HTML bodies show.
type view struct {
	Greeting, Headline string
	Lines              []line
	Links              []link
	ZoneNote           string
	Closing, Company   string
}

func viewOf(m slotbook.Message, tx text) view {
	zone := zoneOf(m)
	start, end := m.Start.In(zone), m.End.In(zone)
	v := view{
		Greeting: fmt.Sprintf(tx.greeting, m.ToName) + ",",
		Headline: tx.headline[m.To][m.Kind],
		ZoneNote: fmt.Sprintf(tx.timeZoneNote, zone.String()),
		Closing:  tx.closing, Company: m.CompanyName,
	}
	v.Lines = append(v.Lines, line{tx.service, orService(m, tx)})
	if m.EmployeeName != "" {
		v.Lines = append(v.Lines, line{tx.with, m.EmployeeName})
	}
	v.Lines = append(v.Lines, line{tx.when, fmt.Sprintf("%s, %s–%s", tx.dateFormat(start, tx), start.Format("15:04"), end.Format("15:04"))})
	v.Lines = append(v.Lines, line{tx.company, m.CompanyName})
	if m.To == slotbook.ToEmployee {
		c := m.Customer.Name + " <" + m.Customer.Email + ">"
		if m.Customer.Phone != "" {
			c += ", " + m.Customer.Phone
		}
		v.Lines = append(v.Lines, line{tx.customer, c})
		if m.Notes != "" {
			v.Lines = append(v.Lines, line{tx.notes, m.Notes})
		}
		if m.BookingURL != "" {
			v.Links = append(v.Links, link{tx.dashLink, m.BookingURL})
		}
		return v
	}
	if m.RescheduleURL != "" {
		v.Links = append(v.Links, link{tx.rescheduleLink, m.RescheduleURL})
	}
	if m.CancelURL != "" {
		v.Links = append(v.Links, link{tx.cancelLink, m.CancelURL})
	}
	return v
}

var htmlBody = template.Must(template.New("mail").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"></head>
<body style="font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#1f2933;line-height:1.5;max-width:36rem;margin:0 auto;padding:1rem">
<p>{{.Greeting}}</p>
<p><strong>{{.Headline}}</strong></p>
<table role="presentation" style="border-collapse:collapse">
{{range .Lines}}<tr><th scope="row" style="text-align:left;padding:.25rem 1rem .25rem 0;vertical-align:top;font-weight:600">{{.Label}}</th><td style="padding:.25rem 0">{{.Value}}</td></tr>
{{end}}</table>
{{if .Links}}<p>{{range $i, $l := .Links}}{{if $i}} {{end}}<a href="{{$l.URL}}" style="display:inline-block;background:{{if $i}}#475569{{else}}#1d4ed8{{end}};color:#fff;padding:.6rem 1rem;margin:.25rem 0;border-radius:.375rem;text-decoration:none">{{$l.Label}}</a>{{end}}</p>{{end}}
<p style="color:#52606d;font-size:.875rem">{{.ZoneNote}}</p>
<p>{{.Closing}}<br>{{.Company}}</p>
</body></html>
`))

// bodies returns the text and the HTML body of m.
func bodies(m slotbook.Message, tx text) (plain, html string, err error) {
	v := viewOf(m, tx)
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n%s\n\n", v.Greeting, v.Headline)
	for _, l := range v.Lines {
		fmt.Fprintf(&b, "%s: %s\n", l.Label, l.Value)
	}
	if len(v.Links) > 0 {
		b.WriteByte('\n')
	}
	for _, l := range v.Links {
		fmt.Fprintf(&b, "%s: %s\n", l.Label, l.URL)
	}
	fmt.Fprintf(&b, "\n%s\n\n%s\n%s\n", v.ZoneNote, v.Closing, v.Company)
	var h bytes.Buffer
	if err := htmlBody.Execute(&h, v); err != nil {
		return "", "", fmt.Errorf("mail: HTML body: %w", err)
	}
	return b.String(), h.String(), nil
}

// Calendar returns the iCalendar object of m: METHOD REQUEST (booked,
// moved, reminded) or CANCEL, one VEVENT with the booking's UID, m's
// SEQUENCE, the times in UTC, the company as ORGANIZER and the customer
// as ATTENDEE.
func Calendar(from From, m slotbook.Message, now time.Time) ([]byte, error) {
	tx := textOf(m.Lang)
	cal := ical.NewCalendar()
	cal.Props.SetText(ical.PropVersion, "2.0")
	cal.Props.SetText(ical.PropProductID, "-//slotbook//slotbook//EN")
	method, status := "REQUEST", "CONFIRMED"
	if m.Cancelled() {
		method, status = "CANCEL", "CANCELLED"
	}
	cal.Props.SetText(ical.PropMethod, method)
	ev := ical.NewEvent()
	ev.Props.SetText(ical.PropUID, m.UID)
	ev.Props.SetDateTime(ical.PropDateTimeStamp, now.UTC())
	ev.Props.SetDateTime(ical.PropDateTimeStart, m.Start.UTC())
	ev.Props.SetDateTime(ical.PropDateTimeEnd, m.End.UTC())
	seq := ical.NewProp(ical.PropSequence)
	seq.SetValueType(ical.ValueInt)
	seq.Value = fmt.Sprint(m.Sequence)
	ev.Props.Set(seq)
	ev.Props.SetText(ical.PropStatus, status)
	summary := orService(m, tx) + " – " + m.CompanyName
	if m.To == slotbook.ToEmployee {
		summary = orService(m, tx) + " – " + m.Customer.Name
	}
	ev.Props.SetText(ical.PropSummary, summary)
	org := ical.NewProp(ical.PropOrganizer)
	org.Value = "mailto:" + from.Address
	org.Params.Set(ical.ParamCommonName, m.CompanyName)
	ev.Props.Set(org)
	att := ical.NewProp(ical.PropAttendee)
	att.Value = "mailto:" + m.Customer.Email
	att.Params.Set(ical.ParamCommonName, m.Customer.Name)
	att.Params.Set(ical.ParamRole, "REQ-PARTICIPANT")
	att.Params.Set(ical.ParamRSVP, "FALSE")
	ev.Props.Set(att)
	cal.Children = append(cal.Children, ev.Component)
	var b bytes.Buffer
	if err := ical.NewEncoder(&b).Encode(cal); err != nil {
		return nil, fmt.Errorf("mail: calendar: %w", err)
	}
	return b.Bytes(), nil
}
