package dynamo

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TableSchema returns the key schema of slotbook's table: the attribute
// definitions (string PK and SK), the key (PK hash, SK range) and the
// time-to-live attribute. CreateTable creates tables with it, and the
// template's tests (pkg/aws/samtemplate) hold template.yaml's table to it.
func TableSchema() (attrs []types.AttributeDefinition, keys []types.KeySchemaElement, ttlAttribute string) {
	attrs = []types.AttributeDefinition{
		{AttributeName: aws.String(attrPK), AttributeType: types.ScalarAttributeTypeS},
		{AttributeName: aws.String(attrSK), AttributeType: types.ScalarAttributeTypeS},
	}
	keys = []types.KeySchemaElement{
		{AttributeName: aws.String(attrPK), KeyType: types.KeyTypeHash},
		{AttributeName: aws.String(attrSK), KeyType: types.KeyTypeRange},
	}
	return attrs, keys, TTLAttribute
}
