// Package holiday lists public holidays by ISO 3166-2 region for
// Switzerland, Germany and Austria.
//
// # What counts as a public holiday
//
// A day is listed for a region when the statute of that whole region makes
// it a day off by law: a holiday equated with Sunday (Swiss Art. 20a ArG,
// the German Feiertagsgesetze, the Austrian Feiertagsruhegesetz) or a
// statutory public rest day of a Swiss canton (öffentlicher Ruhetag, jour de
// repos public). Left out are:
//
//   - days that the statute grants only in some communes, districts or
//     confessional parts of the region (for example Fronleichnam in the
//     catholic communes of Fribourg, the district holidays of Aargau,
//     Mariä Himmelfahrt in the catholic communes of Bavaria);
//   - half days (the afternoon of 1 May in Solothurn);
//   - mere observances and customary days off without a statute (Berchtoldstag
//     in Zürich, Heiligabend, Silvester);
//   - days that by definition always fall on a Sunday (Easter Sunday,
//     Whitsunday, the Swiss Federal Day of Thanksgiving), except where the
//     statute names them as holidays in their own right (Brandenburg).
//
// The source of every region's list is given next to its table row in
// ch.go, de.go and at.go.
//
// # Years
//
// The rules are the statutes in force today, applied to every year from
// 1900 to 2200. Changes since 1990 are modelled where they are known
// (Tag der Deutschen Einheit from 1990, Reformationstag in 2017 everywhere
// in Germany and from 2018 in the northern states, Frauentag in Berlin from
// 2019 and in Mecklenburg-Vorpommern from 2023, Weltkindertag in Thuringia
// from 2019, Tag der Befreiung in Berlin in 2020 and 2025); older history,
// and statutes changed after this package was written, are not.
package holiday

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/slotbook/slotbook/pkg/schedule"
)

// Holiday is one public holiday: a whole date and its name.
type Holiday struct {
	Date schedule.Date
	Name string
}

// ErrUnknownRegion is returned for a region this package does not know.
var ErrUnknownRegion = errors.New("holiday: unknown region")

// The years List accepts.
const (
	minYear = 1900
	maxYear = 2200
)

// List returns the public holidays of region in year, sorted by date, one
// per date. When two holidays of the region fall on the same date (Auffahrt
// on 1 May, Fronleichnam on 23 June in Jura) their names are joined with
// " / " in the order of the region's table.
//
// region is an ISO 3166-2 code, case-insensitive: a Swiss canton ("CH-ZH"),
// a German state ("DE-BY"), an Austrian state ("AT-9"), or a country code
// alone ("CH", "DE", "AT") for the holidays that hold in the whole country.
// Names are in the region's main official language (French for GE, VD, NE,
// JU, FR and VS, Italian for TI, German elsewhere).
//
// An unknown region yields an error that wraps ErrUnknownRegion (test with
// errors.Is); it is reported before the year is looked at. A year outside
// 1900..2200 yields an error that does not wrap ErrUnknownRegion, of the
// form "holiday: year 1899 outside 1900..2200". List and Regions are safe
// for concurrent use.
func List(region string, year int) ([]Holiday, error) {
	r, ok := regions[strings.ToUpper(region)]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownRegion, region)
	}
	if year < minYear || year > maxYear {
		return nil, fmt.Errorf("holiday: year %d outside %d..%d", year, minYear, maxYear)
	}
	var out []Holiday
	for _, ru := range r.rules {
		d, ok := ru.date(year)
		if !ok {
			continue
		}
		name := ru.nameIn(r.lang)
		if i := indexOfDate(out, d); i >= 0 {
			if !hasName(out[i].Name, name) {
				out[i].Name += " / " + name
			}
			continue
		}
		out = append(out, Holiday{Date: d, Name: name})
	}
	sort.SliceStable(out, func(i, j int) bool { return dateLess(out[i].Date, out[j].Date) })
	return out, nil
}

// Regions returns every region code List accepts, sorted.
func Regions() []string {
	codes := make([]string, 0, len(regions))
	for code := range regions {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	return codes
}

// region is what List knows of one region code.
type region struct {
	lang  lang
	rules []rule
}

// regions maps upper-case region codes to their holidays.
var regions = buildRegions()

func buildRegions() map[string]region {
	m := map[string]region{
		"CH": {lang: langDE, rules: chNational},
		"DE": {lang: langDE, rules: deNational},
		"AT": {lang: langDE, rules: atNational},
	}
	for _, c := range cantons {
		m["CH-"+c.code] = region{lang: c.lang, rules: c.rules}
	}
	for _, s := range germanStates {
		m["DE-"+s.code] = region{lang: langDE, rules: s.rules}
	}
	for _, s := range austrianStates {
		m["AT-"+s] = region{lang: langDE, rules: atNational}
	}
	return m
}

func indexOfDate(hs []Holiday, d schedule.Date) int {
	for i, h := range hs {
		if h.Date == d {
			return i
		}
	}
	return -1
}

func hasName(joined, name string) bool {
	for _, n := range strings.Split(joined, " / ") {
		if n == name {
			return true
		}
	}
	return false
}

func dateLess(a, b schedule.Date) bool {
	if a.Year != b.Year {
		return a.Year < b.Year
	}
	if a.Month != b.Month {
		return a.Month < b.Month
	}
	return a.Day < b.Day
}
