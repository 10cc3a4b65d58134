package notifyfn_test

import (
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/slotbook/slotbook/pkg/aws/lambdafn"
	"github.com/slotbook/slotbook/pkg/aws/notifyfn"
	"github.com/slotbook/slotbook/pkg/aws/schedules/schedulertest"
	"github.com/slotbook/slotbook/pkg/aws/sesmail/sestest"
	"github.com/slotbook/slotbook/pkg/config"
	"github.com/slotbook/slotbook/pkg/schedule"
	"github.com/slotbook/slotbook/pkg/slotbook"
	"github.com/slotbook/slotbook/pkg/store/dynamo/dynamotest"
)

func TestMain(m *testing.M) { dynamotest.Main(m) }

const fnARN = "arn:aws:lambda:eu-central-1:123456789012:function:slotbook-notify"

// clock is the function's time, moved by the test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

type world struct {
	t     *testing.T
	h     *notifyfn.Handler
	app   *slotbook.App
	ses   *sestest.Server
	sched *schedulertest.Server
	clock *clock
	table string
}

// newWorld is the notify function on DynamoDB Local, with SES and
// EventBridge Scheduler stand-ins, and company acme: ana works Mondays
// 09:00–12:00, consult is 60 minutes, the reminder goes a day ahead.
func newWorld(t *testing.T) *world {
	zurich, _ := time.LoadLocation("Europe/Zurich")
	w := &world{t: t, ses: sestest.New(t, "acme.example"), sched: schedulertest.New(t, "slotbook-notify"),
		clock: &clock{t: time.Date(2027, 3, 19, 8, 0, 0, 0, zurich)}, table: dynamotest.TableName(t)}
	env := map[string]string{
		config.EnvTable: w.table, config.EnvDynamoDBEndpoint: dynamotest.Endpoint(t),
		config.EnvSealKeyFile: filepath.Join(t.TempDir(), "seal.key"), config.EnvMailFrom: "bookings@acme.example",
		config.EnvScheduleGroup: "slotbook-notify", config.EnvSchedulerRoleARN: "arn:aws:iam::123456789012:role/slotbook-scheduler",
		config.EnvSESURL: w.ses.URL, config.EnvSchedulerURL: w.sched.URL, config.EnvPublicURL: "https://book.acme.example",
		"AWS_REGION": "eu-central-1", "AWS_ACCESS_KEY_ID": "AKIDLOCAL", "AWS_SECRET_ACCESS_KEY": "secret",
	}
	log := slog.New(slog.DiscardHandler)
	h, err := notifyfn.New(t.Context(), func(k string) string { return env[k] }, w.clock.now, log)
	if err != nil {
		t.Fatal(err)
	}
	w.h = h
	// The API's App over the same table, to book and cancel.
	if w.app, _, err = lambdafn.NewApp(t.Context(), func(k string) string { return env[k] }, w.clock.now, log); err != nil {
		t.Fatal(err)
	}
	admin := slotbook.WithPrincipal(t.Context(), slotbook.Principal{Subject: "boss", Company: "acme", Role: slotbook.RoleAdmin})
	must(t, func() error {
		_, err := w.app.PutSettings(admin, slotbook.Company{ID: "acme", Name: "Acme", Timezone: "Europe/Zurich", BookingIntervalMinutes: 30,
			HorizonDays: 60, Language: slotbook.English, ReminderMinutesBefore: 1440, NotifyEmployees: true})
		return err
	}())
	_, err = w.app.CreateEmployee(admin, "acme", slotbook.Employee{ID: "ana", Name: "Ana", Email: "ana@acme.example"})
	must(t, err)
	_, err = w.app.PutAvailability(admin, "acme", "ana", slotbook.Availability{Weekly: []slotbook.WeeklyHours{{Weekday: time.Monday, Start: 9 * 60, End: 12 * 60}}})
	must(t, err)
	_, err = w.app.CreateService(admin, "acme", slotbook.Service{ID: "consult", Name: "Consultation", DurationMinutes: 60, Employees: []string{"ana"}})
	must(t, err)
	return w
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (w *world) book(hour int) slotbook.BookingResult {
	w.t.Helper()
	zurich, _ := time.LoadLocation("Europe/Zurich")
	res, err := w.app.Book(w.t.Context(), slotbook.BookingRequest{CompanyID: "acme", ServiceID: "consult", EmployeeID: "ana",
		Start:    schedule.At(schedule.Date{Year: 2027, Month: 3, Day: 22}, schedule.Clock(hour*60), zurich),
		Customer: slotbook.Customer{Name: "Chris", Email: "chris@client.example"}})
	must(w.t, err)
	return res
}

// streamOf is the stream batch Lambda would deliver for the table's
// notification items of booking, as they are now: each item read from
// DynamoDB Local and put in the Lambda event's JSON form.
func (w *world) streamOf(booking, eventName string) json.RawMessage {
	w.t.Helper()
	out, err := dynamotest.Client(w.t).Query(w.t.Context(), &dynamodb.QueryInput{
		TableName: aws.String(w.table), KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :m)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: "C#acme"}, ":m": &types.AttributeValueMemberS{Value: "M#" + booking + "#"}},
	})
	must(w.t, err)
	var recs []map[string]any
	for i, it := range out.Items {
		recs = append(recs, map[string]any{
			"eventID": "e" + string(rune('0'+i)), "eventName": eventName, "eventSource": "aws:dynamodb", "awsRegion": "eu-central-1",
			"dynamodb": map[string]any{
				"Keys":           map[string]any{"PK": wire(it["PK"]), "SK": wire(it["SK"])},
				"NewImage":       imageOf(it),
				"SequenceNumber": "1000" + string(rune('0'+i)), "StreamViewType": "NEW_IMAGE",
			},
		})
	}
	b, _ := json.Marshal(map[string]any{"Records": recs})
	return b
}

func imageOf(it map[string]types.AttributeValue) map[string]any {
	m := map[string]any{}
	for k, v := range it {
		m[k] = wire(v)
	}
	return m
}

// wire is an attribute value in DynamoDB's JSON form, as streams carry it.
func wire(v types.AttributeValue) any {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return map[string]string{"S": v.Value}
	case *types.AttributeValueMemberN:
		return map[string]string{"N": v.Value}
	case *types.AttributeValueMemberB:
		return map[string][]byte{"B": v.Value}
	case *types.AttributeValueMemberBOOL:
		return map[string]bool{"BOOL": v.Value}
	case *types.AttributeValueMemberNULL:
		return map[string]bool{"NULL": true}
	}
	return map[string]bool{"NULL": true}
}

func (w *world) invoke(payload json.RawMessage) any {
	w.t.Helper()
	ctx := lambdacontext.NewContext(w.t.Context(), &lambdacontext.LambdaContext{InvokedFunctionArn: fnARN})
	out, err := w.h.Handle(ctx, payload)
	must(w.t, err)
	return out
}

func (w *world) subjects() []string {
	var out []string
	for _, s := range w.ses.Sent() {
		i := strings.Index(string(s.Raw), "Subject: ")
		out = append(out, strings.SplitN(string(s.Raw[i+9:]), "\r\n", 2)[0]+" → "+strings.Join(s.To, ","))
	}
	return out
}

func TestStreamSendsDueMailsAndSchedulesTheReminder(t *testing.T) {
	w := newWorld(t)
	res := w.book(9)
	out := w.invoke(w.streamOf(res.Booking.ID, "INSERT"))
	if resp, _ := json.Marshal(out); strings.Contains(string(resp), "ItemIdentifier") {
		t.Fatalf("batch failures: %s", resp)
	}
	if got := w.subjects(); len(got) != 2 {
		t.Fatalf("sent %v, want the customer's and ana's confirmation", got)
	}
	scheds := w.sched.Schedules("slotbook-notify")
	if len(scheds) != 1 {
		t.Fatalf("schedules %+v, want the reminder's", scheds)
	}
	s := scheds[0]
	if s.Expression != "at(2027-03-21T08:00:00)" || s.TargetArn != fnARN || s.ActionAfterCompletion != "DELETE" {
		t.Errorf("reminder schedule %+v", s)
	}

	// The schedule fires at its time: the reminder goes, once.
	w.clock.set(s.At)
	w.invoke(json.RawMessage(s.Input))
	w.invoke(json.RawMessage(s.Input)) // Scheduler delivers at least once
	got := w.subjects()
	if len(got) != 3 || !strings.HasPrefix(got[2], "Reminder: Consultation") {
		t.Errorf("after the reminder's schedule: %v", got)
	}
	// A replay of the stream batch sends nothing again.
	w.invoke(w.streamOf(res.Booking.ID, "MODIFY"))
	if n := len(w.ses.Sent()); n != 3 {
		t.Errorf("%d mails after a replayed batch", n)
	}
}

func TestReminderOfACancelledBookingIsNotSent(t *testing.T) {
	w := newWorld(t)
	res := w.book(10)
	w.invoke(w.streamOf(res.Booking.ID, "INSERT"))
	s := w.sched.Schedules("slotbook-notify")[0]
	must(t, w.app.CancelBooking(t.Context(), "acme", res.Booking.ID, res.CancelToken))
	w.invoke(w.streamOf(res.Booking.ID, "INSERT")) // the cancellation mails
	w.clock.set(s.At)
	w.invoke(json.RawMessage(s.Input))
	w.invoke(json.RawMessage(notifyfn.DeliverDueEvent))
	for _, sub := range w.subjects() {
		if strings.HasPrefix(sub, "Reminder") {
			t.Errorf("a reminder went for a cancelled booking: %v", w.subjects())
		}
	}
	if n := len(w.ses.Sent()); n != 4 {
		t.Errorf("sent %v, want 2 confirmations and 2 cancellations", w.subjects())
	}
}

func TestThrottledMailIsScheduledAgain(t *testing.T) {
	w := newWorld(t)
	w.ses.FailAll("TooManyRequestsException")
	res := w.book(11)
	w.invoke(w.streamOf(res.Booking.ID, "INSERT"))
	if n := len(w.ses.Sent()); n != 0 {
		t.Fatalf("%d sent while SES throttles", n)
	}
	// The failed tries come back through the stream, pending and due in a minute.
	w.invoke(w.streamOf(res.Booking.ID, "MODIFY"))
	w.ses.Recover()
	retries, retryAt := 0, w.clock.now().Add(time.Minute).Truncate(time.Second)
	for _, s := range w.sched.Schedules("slotbook-notify") {
		if s.At.Equal(retryAt) {
			retries++
			w.clock.set(s.At)
			w.invoke(json.RawMessage(s.Input))
		}
	}
	if retries != 2 || len(w.ses.Sent()) != 2 {
		t.Errorf("%d retry schedules, %d sent after them", retries, len(w.ses.Sent()))
	}
}
