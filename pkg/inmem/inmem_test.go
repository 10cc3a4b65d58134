package inmem_test

import (
	"testing"

	"github.com/slotbook/slotbook/pkg/inmem"
	"github.com/slotbook/slotbook/pkg/slotbook"
	"github.com/slotbook/slotbook/pkg/storetest"
)

func TestStoreContract(t *testing.T) {
	storetest.Run(t, func(*testing.T) slotbook.Store { return inmem.New() })
}
