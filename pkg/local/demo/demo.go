// Package demo seeds the demo company of local mode: two employees with
// weekly hours, an override and an absence, and two services.
package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/slotbook/slotbook/pkg/schedule"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

// CompanyID is the id of the demo company.
const CompanyID = "demo"

// Admin is the demo company's admin.
var Admin = slotbook.Principal{Subject: "demo-admin", Company: CompanyID, Role: slotbook.RoleAdmin}

// Seed writes the demo company through app's use cases (so the demo data
// passes every validation), unless it exists already. The absence and the
// override are placed relative to now, so the demo looks the same any week.
func Seed(ctx context.Context, app *slotbook.App, now time.Time) error {
	ctx = slotbook.WithPrincipal(ctx, Admin)
	if _, err := app.Settings(ctx, CompanyID); err == nil {
		return nil
	} else if slotbook.ErrorCode(err) != slotbook.NotFound {
		return fmt.Errorf("demo: %w", err)
	}
	zone, err := slotbook.LoadZone("Europe/Zurich")
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	c := slotbook.Company{
		ID: CompanyID, Name: "Demo Hair & Beauty", Timezone: zone.String(),
		BookingIntervalMinutes: 15, MinNoticeMinutes: 60, HorizonDays: 90,
	}
	if _, err := app.PutSettings(ctx, c); err != nil {
		return fmt.Errorf("demo: settings: %w", err)
	}
	for _, e := range []slotbook.Employee{
		{ID: "ana", Name: "Ana Keller", Email: "ana@demo.example"},
		{ID: "ben", Name: "Ben Meier", Email: "ben@demo.example", Timezone: "Europe/Zurich"},
	} {
		if _, err := app.CreateEmployee(ctx, CompanyID, e); err != nil {
			return fmt.Errorf("demo: employee %s: %w", e.ID, err)
		}
	}
	today := schedule.DateOf(now.In(zone))
	ana := slotbook.Availability{Weekly: workdays([]time.Weekday{1, 2, 3, 4, 5}, "08:00", "12:00", "13:00", "17:00")}
	ben := slotbook.Availability{
		Weekly: workdays([]time.Weekday{2, 3, 4, 5, 6}, "10:00", "18:00"),
		// Ben works short hours on the second Saturday from today.
		Overrides: []slotbook.DateOverride{{
			Date:      nextWeekday(today, time.Saturday).AddDays(7),
			Intervals: []schedule.Range{{Start: clock("09:00"), End: clock("13:00")}},
		}},
	}
	for id, a := range map[string]slotbook.Availability{"ana": ana, "ben": ben} {
		if _, err := app.PutAvailability(ctx, CompanyID, id, a); err != nil {
			return fmt.Errorf("demo: availability %s: %w", id, err)
		}
	}
	// Ana is away on the next Wednesday afternoon.
	wed := nextWeekday(today, time.Wednesday)
	if _, err := app.CreateAbsence(ctx, CompanyID, "ana", slotbook.Absence{
		Start: schedule.At(wed, clock("13:00"), zone), End: schedule.At(wed, clock("17:00"), zone), Reason: "Training",
	}); err != nil {
		return fmt.Errorf("demo: absence: %w", err)
	}
	for _, s := range []slotbook.Service{
		{ID: "haircut", Name: "Haircut", DurationMinutes: 30, BufferAfterMinutes: 10, Employees: []string{"ana", "ben"}},
		{ID: "coloring", Name: "Coloring", DurationMinutes: 90, BufferBeforeMinutes: 15, BufferAfterMinutes: 15, Employees: []string{"ana"}},
	} {
		if _, err := app.CreateService(ctx, CompanyID, s); err != nil {
			return fmt.Errorf("demo: service %s: %w", s.ID, err)
		}
	}
	return nil
}

// workdays returns the same hours, given as start/end pairs, on each day.
func workdays(days []time.Weekday, hours ...string) []slotbook.WeeklyHours {
	var out []slotbook.WeeklyHours
	for _, d := range days {
		for i := 0; i+1 < len(hours); i += 2 {
			out = append(out, slotbook.WeeklyHours{Weekday: d, Start: clock(hours[i]), End: clock(hours[i+1])})
		}
	}
	return out
}

// nextWeekday returns the first date after d that falls on day.
func nextWeekday(d schedule.Date, day time.Weekday) schedule.Date {
	n := (int(day) - int(d.Weekday()) + 7) % 7
	if n == 0 {
		n = 7
	}
	return d.AddDays(n)
}

func clock(s string) schedule.Clock {
	c, err := schedule.ParseClock(s)
	if err != nil {
		panic(err) // only constants above
	}
	return c
}
