// Package schedulertest is a stand-in for EventBridge Scheduler's schedule
// operations, written from its API reference so that the real scheduler
// client can be tested against it: REST-JSON; CreateSchedule is POST
// /schedules/{Name} (409 ConflictException if the name is taken in the
// group), UpdateSchedule PUT /schedules/{Name} (404
// ResourceNotFoundException if it is not), GetSchedule GET and
// DeleteSchedule DELETE /schedules/{Name}?groupName=…; a name is 1 to 64
// of [0-9a-zA-Z-_.]; at() expressions are yyyy-mm-ddThh:mm:ss; a target
// needs Arn and RoleArn; FlexibleTimeWindow is required; an unknown group
// is 404. Errors carry the x-amzn-ErrorType header and a {"Message"} body.
package schedulertest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// Schedule is one stored schedule.
type Schedule struct {
	Name, Group, Expression, Timezone, ActionAfterCompletion string
	At                                                       time.Time
	TargetArn, RoleArn, Input                                string
}

// Server is a running stand-in.
type Server struct {
	URL string

	mu        sync.Mutex
	groups    map[string]bool
	schedules map[string]Schedule // group/name
	calls     []string
}

// New starts a stand-in with the given schedule groups ("default" always
// exists); it stops when the test ends.
func New(t testing.TB, groups ...string) *Server {
	s := &Server{groups: map[string]bool{"default": true}, schedules: map[string]Schedule{}}
	for _, g := range groups {
		s.groups[g] = true
	}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = srv.URL
	t.Cleanup(srv.Close)
	return s
}

// Schedules returns the stored schedules of group.
func (s *Server) Schedules(group string) []Schedule {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Schedule
	for _, x := range s.schedules {
		if x.Group == group {
			out = append(out, x)
		}
	}
	return out
}

// Calls returns the operations called, as "CreateSchedule name".
func (s *Server) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

var (
	validName = regexp.MustCompile(`^[0-9a-zA-Z-_.]{1,64}$`)
	atExpr    = regexp.MustCompile(`^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$`)
)

type input struct {
	GroupName                  string
	ScheduleExpression         string
	ScheduleExpressionTimezone string
	ActionAfterCompletion      string
	FlexibleTimeWindow         *struct{ Mode string }
	Target                     *struct{ Arn, RoleArn, Input string }
	ClientToken                string
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		writeError(w, http.StatusForbidden, "AccessDeniedException", "missing signature")
		return
	}
	name, ok := strings.CutPrefix(r.URL.Path, "/schedules/")
	if !ok {
		writeError(w, http.StatusNotFound, "ResourceNotFoundException", "no such operation")
		return
	}
	if !validName.MatchString(name) {
		writeError(w, http.StatusBadRequest, "ValidationException", "1 validation error detected: Value at 'name' failed to satisfy constraint")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.Method {
	case http.MethodPost, http.MethodPut:
		var in input
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			writeError(w, http.StatusBadRequest, "ValidationException", "malformed body")
			return
		}
		group := in.GroupName
		if group == "" {
			group = "default"
		}
		op := "CreateSchedule"
		if r.Method == http.MethodPut {
			op = "UpdateSchedule"
		}
		s.calls = append(s.calls, op+" "+name)
		if !s.groups[group] {
			writeError(w, http.StatusNotFound, "ResourceNotFoundException", "Schedule group "+group+" does not exist.")
			return
		}
		_, exists := s.schedules[group+"/"+name]
		if op == "CreateSchedule" && exists {
			writeError(w, http.StatusConflict, "ConflictException", "Schedule "+name+" already exists.")
			return
		}
		if op == "UpdateSchedule" && !exists {
			writeError(w, http.StatusNotFound, "ResourceNotFoundException", "Schedule "+name+" does not exist.")
			return
		}
		m := atExpr.FindStringSubmatch(in.ScheduleExpression)
		if m == nil {
			writeError(w, http.StatusBadRequest, "ValidationException", "Invalid Schedule Expression "+in.ScheduleExpression)
			return
		}
		zone := in.ScheduleExpressionTimezone
		if zone == "" {
			zone = "UTC"
		}
		loc, err := time.LoadLocation(zone)
		if err != nil {
			writeError(w, http.StatusBadRequest, "ValidationException", "Invalid time zone "+zone)
			return
		}
		at, _ := time.ParseInLocation("2006-01-02T15:04:05", m[1], loc)
		if in.FlexibleTimeWindow == nil || (in.FlexibleTimeWindow.Mode != "OFF" && in.FlexibleTimeWindow.Mode != "FLEXIBLE") {
			writeError(w, http.StatusBadRequest, "ValidationException", "FlexibleTimeWindow is required")
			return
		}
		if in.Target == nil || !strings.HasPrefix(in.Target.Arn, "arn:") || !strings.HasPrefix(in.Target.RoleArn, "arn:") {
			writeError(w, http.StatusBadRequest, "ValidationException", "Target Arn and RoleArn are required")
			return
		}
		s.schedules[group+"/"+name] = Schedule{Name: name, Group: group, Expression: in.ScheduleExpression, Timezone: zone,
			ActionAfterCompletion: in.ActionAfterCompletion, At: at, TargetArn: in.Target.Arn, RoleArn: in.Target.RoleArn, Input: in.Target.Input}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"ScheduleArn":"arn:aws:scheduler:eu-central-1:123456789012:schedule/%s/%s"}`, group, name)
	case http.MethodDelete:
		group := r.URL.Query().Get("groupName")
		if group == "" {
			group = "default"
		}
		s.calls = append(s.calls, "DeleteSchedule "+name)
		if _, ok := s.schedules[group+"/"+name]; !ok {
			writeError(w, http.StatusNotFound, "ResourceNotFoundException", "Schedule "+name+" does not exist.")
			return
		}
		delete(s.schedules, group+"/"+name)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{}`)
	default:
		writeError(w, http.StatusMethodNotAllowed, "ValidationException", "method")
	}
}

func writeError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("x-amzn-ErrorType", typ)
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"Message":%q}`, msg)
}
