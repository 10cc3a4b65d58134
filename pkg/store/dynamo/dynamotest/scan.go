package dynamotest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ScanText returns every item of table as one string of its attribute
// names and values — strings and numbers as they are, binary values as
// raw bytes, lists and maps flattened — for privacy audits that look for
// what must never be stored.
func ScanText(t testing.TB, table string) []string {
	t.Helper()
	var out []string
	p := dynamodb.NewScanPaginator(Client(t), &dynamodb.ScanInput{TableName: aws.String(table)})
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, item := range page.Items {
			var b strings.Builder
			for k, v := range item {
				fmt.Fprintf(&b, "%s=", k)
				flatten(&b, v)
				b.WriteByte(' ')
			}
			out = append(out, b.String())
		}
	}
	return out
}

func flatten(b *strings.Builder, v types.AttributeValue) {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		b.WriteString(v.Value)
	case *types.AttributeValueMemberB:
		b.Write(v.Value)
	case *types.AttributeValueMemberN:
		b.WriteString(v.Value)
	case *types.AttributeValueMemberL:
		for _, x := range v.Value {
			flatten(b, x)
			b.WriteByte(',')
		}
	case *types.AttributeValueMemberM:
		for k, x := range v.Value {
			b.WriteString(k + ":")
			flatten(b, x)
			b.WriteByte(',')
		}
	case *types.AttributeValueMemberSS:
		b.WriteString(strings.Join(v.Value, ","))
	}
}
