package schedules_test

import (
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"

	"github.com/slotbook/slotbook/pkg/aws/schedules"
	"github.com/slotbook/slotbook/pkg/aws/schedules/schedulertest"
)

const (
	fn   = "arn:aws:lambda:eu-central-1:123456789012:function:slotbook-notify"
	role = "arn:aws:iam::123456789012:role/slotbook-scheduler"
)

func timer(t *testing.T, url, group string) *schedules.Timer {
	c := scheduler.New(scheduler.Options{
		BaseEndpoint: aws.String(url), Region: "eu-central-1", RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secret", ""),
	})
	return schedules.New(c, group, role)
}

func TestAtCreatesThenMoves(t *testing.T) {
	srv := schedulertest.New(t, "slotbook-notify")
	tm := timer(t, srv.URL, "slotbook-notify")
	name := schedules.Name("acme/b1/reminder")
	at := time.Date(2027, 3, 21, 9, 0, 0, 0, time.FixedZone("CET", 3600))
	if err := tm.At(t.Context(), name, at, fn, `{"slotbook":"deliver"}`); err != nil {
		t.Fatal(err)
	}
	if err := tm.At(t.Context(), name, at.Add(time.Hour), fn, `{"slotbook":"deliver"}`); err != nil {
		t.Fatal(err)
	}
	got := srv.Schedules("slotbook-notify")
	if len(got) != 1 || !got[0].At.Equal(at.Add(time.Hour)) || got[0].Expression != "at(2027-03-21T09:00:00)" ||
		got[0].TargetArn != fn || got[0].RoleArn != role || got[0].ActionAfterCompletion != "DELETE" || got[0].Input != `{"slotbook":"deliver"}` {
		t.Errorf("schedules %+v", got)
	}
	if calls := srv.Calls(); !slices.Equal(calls, []string{"CreateSchedule " + name, "CreateSchedule " + name, "UpdateSchedule " + name}) {
		t.Errorf("calls %v", calls)
	}
	if len(name) > 64 {
		t.Errorf("name %q is longer than 64", name)
	}
}

func TestAnUnknownGroupIsAnError(t *testing.T) {
	srv := schedulertest.New(t)
	if err := timer(t, srv.URL, "nosuch").At(t.Context(), "n-1", time.Now(), fn, "{}"); err == nil {
		t.Error("no error for a group that does not exist")
	}
}
