// Command overview is the Lambda function of the dashboard's reads: the bookings list.
package main

import (
	"github.com/slotbook/slotbook/pkg/httpapi"
	"github.com/slotbook/slotbook/pkg/lambdafn"
)

func main() { lambdafn.Start(httpapi.Overview) }
