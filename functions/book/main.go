// Command book is the Lambda function of booking and cancelling.
package main

import (
	"github.com/slotbook/slotbook/pkg/aws/lambdafn"
	"github.com/slotbook/slotbook/pkg/httpapi"
)

func main() { lambdafn.Start(httpapi.Book) }
