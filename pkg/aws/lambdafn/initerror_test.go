package lambdafn

import (
	"errors"
	"testing"

	"github.com/slotbook/slotbook/pkg/aws/lambdatest"
)

func TestReportInitError(t *testing.T) {
	rt, err := lambdatest.New()
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	if err := ReportInitError(rt.Addr(), errors.New("lambdafn: SLOTBOOK_TABLE is not set"), "Runtime.ConfigError"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-rt.InitFailed():
	default:
		t.Fatal("the Runtime API got no init error")
	}
	if e := rt.InitError(); e == nil || e.Message != "lambdafn: SLOTBOOK_TABLE is not set" || e.ErrorType != "Runtime.ConfigError" || e.Type != "Runtime.ConfigError" {
		t.Errorf("InitError = %+v", e)
	}
	// A second report is refused (the Runtime API takes one), and said so.
	if err := ReportInitError(rt.Addr(), errors.New("again"), "Runtime.ConfigError"); err == nil {
		t.Error("a refused report returned no error")
	}
}

func TestReportInitErrorOutsideLambdaDoesNothing(t *testing.T) {
	if err := ReportInitError("", errors.New("x"), "Runtime.ConfigError"); err != nil {
		t.Error(err)
	}
}
