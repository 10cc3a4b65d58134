package dynamo

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TableSchema returns the key schema of slotbook's table: the attribute
// definitions (string PK and SK, and the keys of the outbox and customer indexes), the key (PK
// hash, SK range), the global secondary indexes (OutboxIndex, CustomerIndex) and the
// time-to-live attribute. CreateTable creates tables with it, and the
// template's tests (pkg/aws/samtemplate) hold template.yaml's table to it.
func TableSchema() (attrs []types.AttributeDefinition, keys []types.KeySchemaElement, indexes []types.GlobalSecondaryIndex, ttlAttribute string) {
	attrs = []types.AttributeDefinition{
		{AttributeName: aws.String(attrPK), AttributeType: types.ScalarAttributeTypeS},
		{AttributeName: aws.String(attrSK), AttributeType: types.ScalarAttributeTypeS},
		{AttributeName: aws.String(attrOutbox), AttributeType: types.ScalarAttributeTypeS},
		{AttributeName: aws.String(attrOutboxDue), AttributeType: types.ScalarAttributeTypeS},
		{AttributeName: aws.String(attrCustomer), AttributeType: types.ScalarAttributeTypeS},
	}
	indexes = []types.GlobalSecondaryIndex{{
		IndexName: aws.String(OutboxIndex),
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(attrOutbox), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(attrOutboxDue), KeyType: types.KeyTypeRange},
		},
		Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
	}, {
		IndexName: aws.String(CustomerIndex),
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(attrCustomer), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(attrSK), KeyType: types.KeyTypeRange},
		},
		Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly},
	}}
	keys = []types.KeySchemaElement{
		{AttributeName: aws.String(attrPK), KeyType: types.KeyTypeHash},
		{AttributeName: aws.String(attrSK), KeyType: types.KeyTypeRange},
	}
	return attrs, keys, indexes, TTLAttribute
}
