// Command settings is the Lambda function of the settings routes: company settings, employees,
// availability, absences and services.
package main

import (
	"github.com/slotbook/slotbook/pkg/aws/lambdafn"
	"github.com/slotbook/slotbook/pkg/httpapi"
)

func main() { lambdafn.Start(httpapi.Settings) }
