// Command notify is the Lambda function that sends slotbook's mails: fed
// by the table's stream, its own one-time schedules and a safety-net
// schedule (pkg/aws/notifyfn).
package main

import "github.com/slotbook/slotbook/pkg/aws/notifyfn"

func main() { notifyfn.Start() }
