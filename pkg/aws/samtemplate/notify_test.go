package samtemplate_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/slotbook/slotbook/pkg/aws/notifyfn"
	"github.com/slotbook/slotbook/pkg/aws/samtemplate"
	"github.com/slotbook/slotbook/pkg/store/dynamo"
)

// checkNotifyPolicy: the notify function reads the table, replaces
// notifications, queries the outbox index, opens sealed cancel tokens,
// sends from the MailFrom identity, sets schedules in its own group and
// passes the Scheduler role — and nothing else.
func checkNotifyPolicy(t *testing.T, tpl *samtemplate.Template, f *samtemplate.Function) {
	t.Helper()
	arn := func(service, resource string) string {
		return "arn:aws:" + service + ":" + samtemplate.Region + ":" + samtemplate.AccountID + ":" + resource
	}
	from := tpl.Parameters["MailFrom"].(string)
	_, domain, _ := strings.Cut(from, "@")
	allowed := map[string][]string{
		"dynamodb:GetItem":         {samtemplate.GetAtt("Table", "Arn")},
		"dynamodb:Query":           {samtemplate.GetAtt("Table", "Arn"), samtemplate.GetAtt("Table", "Arn") + "/index/" + dynamo.OutboxIndex},
		"dynamodb:PutItem":         {samtemplate.GetAtt("Table", "Arn")},
		"dynamodb:UpdateItem":      {samtemplate.GetAtt("Table", "Arn")}, // the webhook delivery log
		"kms:Decrypt":              {samtemplate.GetAtt("SealKey", "Arn")},
		"ses:SendEmail":            {arn("ses", "identity/"+domain), arn("ses", "identity/"+from)},
		"scheduler:CreateSchedule": {arn("scheduler", "schedule/"+samtemplate.Ref("NotifySchedules")+"/*")},
		"scheduler:UpdateSchedule": {arn("scheduler", "schedule/"+samtemplate.Ref("NotifySchedules")+"/*")},
		"iam:PassRole":             {samtemplate.GetAtt("SchedulerRole", "Arn")},
	}
	granted := map[string]bool{}
	for _, s := range f.Statements {
		for _, a := range s.Action {
			for _, r := range s.Resource {
				granted[a] = true
				if !slices.Contains(allowed[a], r) {
					t.Errorf("%s %s: %s on %s is not a grant the notify function needs", f.Name, s.Sid, a, r)
				}
			}
		}
	}
	for a := range allowed {
		if !granted[a] {
			t.Errorf("%s lacks %s", f.Name, a)
		}
	}
}

// notifyEvents are the notify function's event sources as the template
// writes them (goformation's DynamoDB event lacks FilterCriteria and
// FunctionResponseTypes).
type notifyEvents struct {
	Properties struct {
		Events map[string]struct {
			Type       string
			Properties struct {
				Stream                     any
				StartingPosition           string
				MaximumRetryAttempts       int
				BisectBatchOnFunctionError bool
				FunctionResponseTypes      []string
				FilterCriteria             struct{ Filters []struct{ Pattern string } }
				DestinationConfig          struct{ OnFailure struct{ Type string } }
				Schedule, Input            string
			}
		}
	}
}

// TestTheNotifyFunctionIsFedByTheStreamAndItsSchedules: the table's
// stream, filtered to pending notifications, with retries, bisection,
// partial batch answers and a dead-letter queue; and the safety net's
// schedule. The filter must pass what the store writes: it is checked
// against the attribute names of a notification item.
func TestTheNotifyFunctionIsFedByTheStreamAndItsSchedules(t *testing.T) {
	tpl := load(t, nil)
	var fn notifyEvents
	if err := tpl.Resource(notifyFunction, &fn); err != nil {
		t.Fatal(err)
	}
	var streams, safety int
	for name, e := range fn.Properties.Events {
		p := e.Properties
		switch e.Type {
		case "DynamoDB":
			streams++
			if p.StartingPosition != "LATEST" || p.MaximumRetryAttempts < 1 || !p.BisectBatchOnFunctionError ||
				!slices.Equal(p.FunctionResponseTypes, []string{"ReportBatchItemFailures"}) || p.DestinationConfig.OnFailure.Type != "SQS" {
				t.Errorf("%s: %+v", name, p)
			}
			if len(p.FilterCriteria.Filters) != 1 {
				t.Fatalf("%s: filters %+v, want one", name, p.FilterCriteria.Filters)
			}
			var pattern struct {
				EventName []string
				Dynamodb  struct {
					Keys struct {
						SK struct{ S []struct{ Prefix string } }
					}
					NewImage map[string]struct{ S []string }
				}
			}
			if err := json.Unmarshal([]byte(p.FilterCriteria.Filters[0].Pattern), &pattern); err != nil {
				t.Fatalf("%s: filter pattern: %v", name, err)
			}
			if len(pattern.Dynamodb.Keys.SK.S) != 1 || pattern.Dynamodb.Keys.SK.S[0].Prefix != "M#" ||
				!slices.Equal(pattern.Dynamodb.NewImage["state"].S, []string{"pending"}) || !slices.Contains(pattern.EventName, "MODIFY") {
				t.Errorf("%s: filter %s lets through more or less than pending notifications", name, p.FilterCriteria.Filters[0].Pattern)
			}
		case "Schedule":
			safety++
			if p.Schedule != "rate(5 minutes)" || p.Input != notifyfn.DeliverDueEvent {
				t.Errorf("%s: schedule %q with %q", name, p.Schedule, p.Input)
			}
		default:
			t.Errorf("%s: event of type %s", name, e.Type)
		}
	}
	if streams != 1 || safety != 1 {
		t.Errorf("%d stream and %d schedule events, want one each", streams, safety)
	}
}
