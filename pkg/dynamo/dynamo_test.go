package dynamo_test

import (
	"context"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/slotbook/slotbook/pkg/dynamo"
	"github.com/slotbook/slotbook/pkg/dynamotest"
	"github.com/slotbook/slotbook/pkg/slotbook"
	"github.com/slotbook/slotbook/pkg/storetest"
)

func TestMain(m *testing.M) { os.Exit(dynamotest.Main(m)) }

// newStore returns a store on a fresh table of DynamoDB Local, deleted
// when the test ends.
func newStore(t *testing.T) *dynamo.Store {
	db := dynamotest.Client(t)
	table := dynamotest.TableName(t)
	if err := dynamo.CreateTable(t.Context(), db, table); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table)})
	})
	return dynamo.New(db, table)
}

func TestStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) slotbook.Store { return newStore(t) })
}
