package dynamo_test

import (
	"os"
	"testing"

	"github.com/slotbook/slotbook/pkg/dynamotest"
	"github.com/slotbook/slotbook/pkg/slotbook"
	"github.com/slotbook/slotbook/pkg/storetest"
)

func TestMain(m *testing.M) { os.Exit(dynamotest.Main(m)) }

func TestStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) slotbook.Store { return dynamotest.NewStore(t) })
}
