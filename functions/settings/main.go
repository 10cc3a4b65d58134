// Command settings is the Lambda function of the settings routes: company settings, employees,
// availability, absences and services.
package main

import (
	"github.com/slotbook/slotbook/pkg/httpapi"
	"github.com/slotbook/slotbook/pkg/lambdafn"
)

func main() { lambdafn.Start(httpapi.Settings) }
