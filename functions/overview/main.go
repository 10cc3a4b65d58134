// Command overview is the Lambda function of the dashboard's reads: the bookings list.
package main

import (
	"github.com/slotbook/slotbook/pkg/aws/lambdafn"
	"github.com/slotbook/slotbook/pkg/httpapi"
)

func main() { lambdafn.Start(httpapi.Overview) }
