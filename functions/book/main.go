// Command book is the Lambda function of booking and cancelling.
package main

import (
	"github.com/slotbook/slotbook/pkg/httpapi"
	"github.com/slotbook/slotbook/pkg/lambdafn"
)

func main() { lambdafn.Start(httpapi.Book) }
