package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/slotbook/slotbook/pkg/slotbook"
	"github.com/slotbook/slotbook/pkg/slotbook/calendartest"
	"github.com/slotbook/slotbook/pkg/store/dynamo"
	"github.com/slotbook/slotbook/pkg/store/dynamo/dynamotest"
)

// slowDynamo is the HTTP transport of a DynamoDB client that holds every
// call for delay before sending it, as the network to AWS's DynamoDB
// would, and counts the calls.
type slowDynamo struct {
	base  http.RoundTripper
	delay atomic.Int64 // nanoseconds
	calls atomic.Int64
}

// RoundTrip implements http.RoundTripper.
func (s *slowDynamo) RoundTrip(r *http.Request) (*http.Response, error) {
	s.calls.Add(1)
	if d := time.Duration(s.delay.Load()); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return nil, r.Context().Err()
		}
	}
	return s.base.RoundTrip(r)
}

// roundTripDelay is what slowDynamo adds to each call in the benchmark.
const roundTripDelay = 50 * time.Millisecond

// roundTripEnv is a company on DynamoDB Local behind slowDynamo (no
// delay yet): employees emp-0… working Monday to Friday 08–18, each with a
// Google calendar (the default, where bookings are written) and a CalDAV
// calendar, and the service consult (60 min) that all of them offer.
func roundTripEnv(b *testing.B, employees int) (*env, *slowDynamo) {
	rt := &slowDynamo{base: &http.Transport{MaxIdleConns: 200, MaxIdleConnsPerHost: 200, IdleConnTimeout: time.Minute}}
	client := dynamodb.New(dynamodb.Options{
		BaseEndpoint: aws.String(dynamotest.Endpoint(b)), Region: "local",
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
		HTTPClient:  &http.Client{Transport: rt},
	})
	fake := calendartest.New()
	providers := map[slotbook.Provider]slotbook.CalendarProvider{slotbook.Google: fake, slotbook.CalDAV: fake}
	e := newEnvOn(b, dynamo.New(client, dynamotest.NewTable(b)), slotbook.WithProviders(providers))
	admin := token(b, "boss", "acme", slotbook.RoleAdmin)
	e.must(201, "PUT", "/v1/companies/acme/settings", admin, settingsBody{
		"name": "Acme", "timezone": "Europe/Zurich", "bookingIntervalMinutes": 30,
		"minNoticeMinutes": 0, "horizonDays": 60, "supportAccess": false,
	})
	var staff []string
	for i := range employees {
		id := fmt.Sprintf("emp-%d", i)
		staff = append(staff, id)
		e.must(201, "POST", "/v1/companies/acme/employees", admin, map[string]any{"id": id, "name": id})
		var week []map[string]string
		for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday"} {
			week = append(week, map[string]string{"weekday": d, "start": "08:00", "end": "18:00"})
		}
		e.must(200, "PUT", "/v1/companies/acme/employees/"+id+"/availability", admin, map[string]any{"weekly": week})
		for j, p := range []slotbook.Provider{slotbook.Google, slotbook.CalDAV} {
			secret := fmt.Sprintf("secret-%d-%d", i, j)
			acct := fake.Add(secret, fmt.Sprintf("%s@%s.example", id, p))
			acct.Events["primary"] = []slotbook.ExternalEvent{{Start: zurichB(22, 9+j, 0), End: zurichB(22, 9+j, 30), Busy: true}}
			kid := fmt.Sprintf("k%d", j)
			sealed, err := e.sealer.Seal(b.Context(), []byte(secret), slotbook.SecretContext{Company: "acme", Employee: id, Purpose: kid})
			if err != nil {
				b.Fatal(err)
			}
			if err := e.store.CreateConnection(b.Context(), "acme", slotbook.Connection{
				ID: kid, EmployeeID: id, Provider: p, Account: acct.Email, CalendarID: "primary",
				CheckConflicts: true, Status: slotbook.Connected, SealedSecret: sealed, IsDefault: j == 0,
			}); err != nil {
				b.Fatal(err)
			}
		}
	}
	e.must(201, "POST", "/v1/companies/acme/services", admin, map[string]any{
		"id": "consult", "name": "Consultation", "durationMinutes": 60, "employees": staff})
	return e, rt
}

// measureRoundTrips runs op (given a fresh index each call) a few times
// without delay, then in the benchmark's loop with roundTripDelay on every
// DynamoDB call, and reports the DynamoDB calls per op and the sequential
// round trips: (time with delay − time without) / delay.
func measureRoundTrips(b *testing.B, rt *slowDynamo, op func(i int)) {
	const warm = 8
	i := 0
	op(i) // the first call opens connections
	i++
	start := time.Now()
	for range warm {
		op(i)
		i++
	}
	bare := time.Since(start) / warm
	rt.delay.Store(int64(roundTripDelay))
	defer rt.delay.Store(0)
	rt.calls.Store(0)
	n := 0
	b.ResetTimer()
	for b.Loop() {
		op(i)
		i++
		n++
	}
	slow := b.Elapsed() / time.Duration(n)
	b.ReportMetric(float64(rt.calls.Load())/float64(n), "dynamo-calls/op")
	b.ReportMetric(float64(slow-bare)/float64(roundTripDelay), "round-trips/op")
}

// BenchmarkDynamoRoundTrips measures how many DynamoDB calls a slots
// request (one employee, and ten, each with two calendars) and a booking
// make, and how many of them are made one after another: on AWS each of
// those is a network round trip the widget user waits for.
func BenchmarkDynamoRoundTrips(b *testing.B) {
	for _, n := range []int{1, 10} {
		b.Run(fmt.Sprintf("slots-%d-employees", n), func(b *testing.B) {
			e, rt := roundTripEnv(b, n)
			path := "/v1/companies/acme/slots?service=consult&from=2027-03-22&to=2027-03-28"
			if n == 1 {
				path += "&employee=emp-0"
			}
			measureRoundTrips(b, rt, func(int) {
				rec := httptest.NewRecorder()
				e.h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
				if rec.Code != 200 {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			})
		})
	}
	b.Run("book", func(b *testing.B) {
		e, rt := roundTripEnv(b, 1)
		// Every weekday from Tuesday on, 08:00 to 17:00: a free start per call.
		var free []time.Time
		for d := 23; d < 23+55; d++ { // within the 60-day horizon
			day := zurichB(d, 8, 0)
			if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
				continue
			}
			for h := range 10 {
				free = append(free, day.Add(time.Duration(h)*time.Hour))
			}
		}
		measureRoundTrips(b, rt, func(i int) {
			if i >= len(free) {
				b.Fatal("out of free starts")
			}
			body, _ := json.Marshal(map[string]any{
				"service": "consult", "employee": "emp-0", "start": free[i].Format(time.RFC3339),
				"customer": map[string]any{"name": "Chris Client", "email": "chris@client.example"},
			})
			r := httptest.NewRequest("POST", "/v1/companies/acme/bookings", bytes.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Idempotency-Key", fmt.Sprintf("bench-%d", i))
			rec := httptest.NewRecorder()
			e.h.ServeHTTP(rec, r)
			if rec.Code != 201 {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		})
	})
}
