// Package notifyfn is the notify function: it sends slotbook's mails on
// AWS. It is fed by three sources:
//
//   - the table's DynamoDB stream, filtered to pending notifications
//     (template.yaml, NotifyFunction): a notification that is due is sent
//     at once; one due later (a reminder, a retry after a failed try) gets
//     a one-time EventBridge Scheduler schedule at its time;
//   - those schedules, whose payload names one notification: it is sent if
//     it is still pending and due (slotbook.App.Deliver re-reads it, and
//     the booking: a cancelled or moved booking's reminder is skipped);
//   - a schedule every five minutes (DeliverDueEvent), the safety net that
//     sends whatever is due and was missed: a sender that died holding a
//     notification, a stream record that went to the dead-letter queue.
//
// Mails go through Amazon SES (pkg/aws/sesmail) from config.EnvMailFrom.
package notifyfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/slotbook/slotbook/pkg/aws/lambdafn"
	"github.com/slotbook/slotbook/pkg/aws/schedules"
	"github.com/slotbook/slotbook/pkg/aws/sesmail"
	"github.com/slotbook/slotbook/pkg/config"
	"github.com/slotbook/slotbook/pkg/mail"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

// DeliverDueEvent is the payload of the notify function's safety-net
// schedule (template.yaml, NotifyFunction's DeliverDue event).
const DeliverDueEvent = `{"slotbook":"deliver-due"}`

// Timer sets a one-time schedule that invokes the function with input at
// a time (schedules.Timer on AWS).
type Timer interface {
	At(ctx context.Context, name string, at time.Time, targetARN, input string) error
}

// Start serves the notify function on Lambda; it does not return.
func Start() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	h, err := New(context.Background(), os.Getenv, time.Now, log)
	if err != nil {
		log.Error("init", "err", err.Error())
		if rerr := lambdafn.ReportInitError(os.Getenv("AWS_LAMBDA_RUNTIME_API"), err, "Runtime.ConfigError"); rerr != nil {
			log.Error("init", "err", rerr.Error())
		}
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

// Handler is the notify function's handler.
type Handler struct {
	app   *slotbook.App
	timer Timer
	now   func() time.Time
	log   *slog.Logger
}

// New builds the handler from the environment: the App (lambdafn.NewApp)
// with SES as its mailer, and the schedule group's Timer. It makes no
// network call.
func New(ctx context.Context, getenv func(string) string, now func() time.Time, log *slog.Logger) (*Handler, error) {
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return nil, err
	}
	var missing []error
	for _, v := range []struct{ name, value string }{
		{config.EnvMailFrom, cfg.MailFrom}, {config.EnvScheduleGroup, cfg.ScheduleGroup}, {config.EnvSchedulerRoleARN, cfg.SchedulerRoleARN},
	} {
		if v.value == "" {
			missing = append(missing, fmt.Errorf("%s is not set", v.name))
		}
	}
	if err := errors.Join(missing...); err != nil {
		return nil, fmt.Errorf("notifyfn: %w", err)
	}
	awsCfg, err := lambdafn.AWSConfig(getenv)
	if err != nil {
		return nil, err
	}
	ses := sesv2.NewFromConfig(awsCfg, func(o *sesv2.Options) {
		if cfg.SESURL != "" {
			o.BaseEndpoint = aws.String(cfg.SESURL)
		}
	})
	sched := scheduler.NewFromConfig(awsCfg, func(o *scheduler.Options) {
		if cfg.SchedulerURL != "" {
			o.BaseEndpoint = aws.String(cfg.SchedulerURL)
		}
	})
	sender := &mail.Sender{From: mail.From{Address: cfg.MailFrom}, Transport: sesmail.New(ses), Now: now}
	app, _, err := lambdafn.NewApp(ctx, getenv, now, log, slotbook.WithMailer(sender))
	if err != nil {
		return nil, err
	}
	return NewHandler(app, schedules.New(sched, cfg.ScheduleGroup, cfg.SchedulerRoleARN), now, log), nil
}

// NewHandler returns the handler over app and timer.
func NewHandler(app *slotbook.App, timer Timer, now func() time.Time, log *slog.Logger) *Handler {
	return &Handler{app: app, timer: timer, now: now, log: log}
}

// deliverEvent is the payload of a notification's schedule.
type deliverEvent struct {
	Slotbook     string `json:"slotbook"` // "deliver"
	Company      string `json:"company"`
	Booking      string `json:"booking"`
	Notification string `json:"notification"`
}

// Handle answers one invocation: a stream batch, a notification's
// schedule, or the safety net.
func (h *Handler) Handle(ctx context.Context, payload json.RawMessage) (any, error) {
	var probe struct {
		Slotbook string            `json:"slotbook"`
		Records  []json.RawMessage `json:"Records"`
	}
	if err := json.Unmarshal(payload, &probe); err != nil {
		return nil, fmt.Errorf("notifyfn: not a JSON object: %w", err)
	}
	switch {
	case probe.Slotbook == "deliver":
		var e deliverEvent
		if err := json.Unmarshal(payload, &e); err != nil {
			return nil, fmt.Errorf("notifyfn: deliver event: %w", err)
		}
		sent, err := h.app.Deliver(ctx, e.Company, e.Booking, e.Notification)
		if err != nil {
			return nil, errors.New("notifyfn: the store failed; the schedule retries")
		}
		return map[string]bool{"sent": sent}, nil
	case probe.Slotbook == "deliver-due":
		n, err := h.app.DeliverDue(ctx, 0)
		if err != nil {
			return nil, errors.New("notifyfn: the store failed")
		}
		return map[string]int{"sent": n}, nil
	case probe.Records != nil:
		var e events.DynamoDBEvent
		if err := json.Unmarshal(payload, &e); err != nil {
			return nil, fmt.Errorf("notifyfn: stream event: %w", err)
		}
		return h.stream(ctx, e), nil
	}
	return nil, errors.New("notifyfn: unknown event")
}

// leaseSlack widens a sender's lease when a record is told from a retry.
const leaseSlack = time.Minute

// stream handles a batch of table changes and reports the records to try
// again (the event source's ReportBatchItemFailures).
func (h *Handler) stream(ctx context.Context, e events.DynamoDBEvent) events.DynamoDBEventResponse {
	var resp events.DynamoDBEventResponse
	target := ""
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		target = lc.InvokedFunctionArn
	}
	for _, r := range e.Records {
		if err := h.record(ctx, r, target); err != nil {
			h.log.WarnContext(ctx, "stream record failed", "sequence", r.Change.SequenceNumber, "err", err.Error())
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: r.Change.SequenceNumber})
		}
	}
	return resp
}

// record handles one change: a pending notification due now is sent; one
// due later gets its schedule — except while a sender holds it (its lease
// is short, and the safety net takes over a sender that died).
func (h *Handler) record(ctx context.Context, r events.DynamoDBEventRecord, target string) error {
	img := r.Change.NewImage
	str := func(k string) string {
		if v, ok := img[k]; ok && v.DataType() == events.DataTypeString {
			return v.String()
		}
		return ""
	}
	if r.EventName == "REMOVE" || str("state") != string(slotbook.NotificationPending) {
		return nil
	}
	company, booking, id := str("company"), str("booking"), str("id")
	due, err := time.Parse(time.RFC3339Nano, str("due"))
	if company == "" || booking == "" || id == "" || err != nil {
		return nil // not a notification
	}
	now := h.now()
	// A sender holds it: tried (attempts), no failure recorded yet, due
	// when the lease ends.
	held := false
	if a, ok := img["attempts"]; ok && a.DataType() == events.DataTypeNumber && a.Number() != "0" && str("errorClass") == "" {
		held = due.Sub(now) <= slotbook.SendLease+leaseSlack
	}
	switch {
	case !due.After(now):
		if _, err := h.app.Deliver(ctx, company, booking, id); err != nil {
			return errors.New("deliver: the store failed")
		}
		return nil
	case held:
		return nil
	case target == "":
		return errors.New("no function ARN to schedule")
	}
	input, _ := json.Marshal(deliverEvent{Slotbook: "deliver", Company: company, Booking: booking, Notification: id})
	return h.timer.At(ctx, schedules.Name(company+"/"+booking+"/"+id), due, target, string(input))
}
