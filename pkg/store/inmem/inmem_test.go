package inmem_test

import (
	"testing"

	"github.com/slotbook/slotbook/pkg/slotbook"
	"github.com/slotbook/slotbook/pkg/slotbook/storetest"
	"github.com/slotbook/slotbook/pkg/store/inmem"
)

func TestStoreContract(t *testing.T) {
	storetest.Run(t, func(*testing.T) slotbook.Store { return inmem.New() })
}
