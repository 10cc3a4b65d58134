package samtemplate

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	cfndynamodb "github.com/awslabs/goformation/v7/cloudformation/dynamodb"
)

// CreateTableInput turns the template's AWS::DynamoDB::Table resource into
// what the DynamoDB API needs to create the same table under the name
// table: its attributes, key schema, billing mode and secondary indexes,
// and its time-to-live setting (nil without one). Settings that only
// matter on AWS (point-in-time recovery, deletion protection, encryption)
// are left out.
func (t *Template) CreateTableInput(resource, table string) (*dynamodb.CreateTableInput, *types.TimeToLiveSpecification, error) {
	var tbl cfndynamodb.Table
	if err := t.Resource(resource, &tbl); err != nil {
		return nil, nil, err
	}
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(table),
		BillingMode: types.BillingMode(deref(tbl.BillingMode)),
		KeySchema:   keySchema(tbl.KeySchema),
	}
	if in.BillingMode == "" {
		in.BillingMode = types.BillingModeProvisioned
	}
	if in.BillingMode == types.BillingModeProvisioned {
		if tbl.ProvisionedThroughput == nil {
			return nil, nil, fmt.Errorf("samtemplate: table %s: provisioned without ProvisionedThroughput", resource)
		}
		in.ProvisionedThroughput = &types.ProvisionedThroughput{
			ReadCapacityUnits:  aws.Int64(int64(tbl.ProvisionedThroughput.ReadCapacityUnits)),
			WriteCapacityUnits: aws.Int64(int64(tbl.ProvisionedThroughput.WriteCapacityUnits)),
		}
	}
	for _, a := range tbl.AttributeDefinitions {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{
			AttributeName: aws.String(a.AttributeName), AttributeType: types.ScalarAttributeType(a.AttributeType),
		})
	}
	for _, g := range tbl.GlobalSecondaryIndexes {
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
			IndexName: aws.String(g.IndexName), KeySchema: keySchema(g.KeySchema), Projection: projection(g.Projection),
		})
	}
	for _, l := range tbl.LocalSecondaryIndexes {
		in.LocalSecondaryIndexes = append(in.LocalSecondaryIndexes, types.LocalSecondaryIndex{
			IndexName: aws.String(l.IndexName), KeySchema: keySchema(l.KeySchema), Projection: projection(l.Projection),
		})
	}
	var ttl *types.TimeToLiveSpecification
	if s := tbl.TimeToLiveSpecification; s != nil && s.Enabled {
		ttl = &types.TimeToLiveSpecification{AttributeName: s.AttributeName, Enabled: aws.Bool(true)}
	}
	return in, ttl, nil
}

func keySchema(ks []cfndynamodb.Table_KeySchema) []types.KeySchemaElement {
	var out []types.KeySchemaElement
	for _, k := range ks {
		out = append(out, types.KeySchemaElement{AttributeName: aws.String(k.AttributeName), KeyType: types.KeyType(k.KeyType)})
	}
	return out
}

func projection(p *cfndynamodb.Table_Projection) *types.Projection {
	if p == nil {
		return &types.Projection{ProjectionType: types.ProjectionTypeAll}
	}
	return &types.Projection{ProjectionType: types.ProjectionType(deref(p.ProjectionType)), NonKeyAttributes: p.NonKeyAttributes}
}
