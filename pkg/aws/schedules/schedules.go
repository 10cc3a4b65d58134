// Package schedules sets one-time EventBridge Scheduler schedules that
// invoke a Lambda function at a time: the notify function's timer for
// reminders and for mails to be tried again. A schedule deletes itself
// after it ran (ActionAfterCompletion DELETE); setting one of the same
// name again moves it.
package schedules

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"
)

// Timer sets schedules in one schedule group, run with one role.
type Timer struct {
	client *scheduler.Client
	// Group is the schedule group (the template's NotifySchedules).
	Group string
	// RoleARN is the role EventBridge Scheduler assumes to invoke the
	// target: it may invoke the notify function and nothing else.
	RoleARN string
}

// New returns a Timer over client.
func New(client *scheduler.Client, group, roleARN string) *Timer {
	return &Timer{client: client, Group: group, RoleARN: roleARN}
}

// Name returns the schedule name of key: "n-" and 40 hex digits of its
// SHA-256, inside the 64 characters of [0-9a-zA-Z-_.] a name may have.
func Name(key string) string {
	h := sha256.Sum256([]byte(key))
	return "n-" + hex.EncodeToString(h[:20])
}

// At sets the schedule name to invoke targetARN with input at (to the
// second, UTC), creating it or, if it exists, moving it.
func (t *Timer) At(ctx context.Context, name string, at time.Time, targetARN, input string) error {
	expr := "at(" + at.UTC().Format("2006-01-02T15:04:05") + ")"
	target := &types.Target{Arn: aws.String(targetARN), RoleArn: aws.String(t.RoleARN), Input: aws.String(input),
		RetryPolicy: &types.RetryPolicy{MaximumRetryAttempts: aws.Int32(10), MaximumEventAgeInSeconds: aws.Int32(3600)}}
	window := &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeOff}
	_, err := t.client.CreateSchedule(ctx, &scheduler.CreateScheduleInput{
		Name: aws.String(name), GroupName: aws.String(t.Group), ScheduleExpression: aws.String(expr),
		ScheduleExpressionTimezone: aws.String("UTC"), FlexibleTimeWindow: window, Target: target,
		ActionAfterCompletion: types.ActionAfterCompletionDelete,
	})
	var conflict *types.ConflictException
	if errors.As(err, &conflict) {
		_, err = t.client.UpdateSchedule(ctx, &scheduler.UpdateScheduleInput{
			Name: aws.String(name), GroupName: aws.String(t.Group), ScheduleExpression: aws.String(expr),
			ScheduleExpressionTimezone: aws.String("UTC"), FlexibleTimeWindow: window, Target: target,
			ActionAfterCompletion: types.ActionAfterCompletionDelete,
		})
	}
	if err != nil {
		return fmt.Errorf("schedules: set %s: %w", name, err)
	}
	return nil
}
