// Command slots is the Lambda function of the booking widget's reads: profile and slots.
package main

import (
	"github.com/slotbook/slotbook/pkg/aws/lambdafn"
	"github.com/slotbook/slotbook/pkg/httpapi"
)

func main() { lambdafn.Start(httpapi.Widget) }
