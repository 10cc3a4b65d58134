package holiday

import (
	"time"

	"github.com/rickar/cal/v2/aa"
	"github.com/rickar/cal/v2/de"
)

// German holiday rules: dates from github.com/rickar/cal/v2/de (and aa for
// the two Sundays of Brandenburg), years and the state table from here.
var (
	deNeujahr          = fromCal(de.Neujahr, "Neujahr")
	deDreiKoenige      = fromCal(de.HeiligeDreiKoenige, "Heilige Drei Könige")
	deFrauentag        = fromCal(de.Frauentag, "Internationaler Frauentag")
	deKarfreitag       = fromCal(de.Karfreitag, "Karfreitag")
	deOstersonntag     = fromCal(aa.Easter, "Ostersonntag")
	deOstermontag      = fromCal(de.Ostermontag, "Ostermontag")
	deTagDerArbeit     = fromCal(de.TagderArbeit, "Tag der Arbeit")
	deHimmelfahrt      = fromCal(de.ChristiHimmelfahrt, "Christi Himmelfahrt")
	dePfingstsonntag   = fromCal(aa.Pentecost, "Pfingstsonntag")
	dePfingstmontag    = fromCal(de.Pfingstmontag, "Pfingstmontag")
	deFronleichnam     = fromCal(de.Fronleichnam, "Fronleichnam")
	deMariaHimmelfahrt = fromCal(de.MariaHimmelfahrt, "Mariä Himmelfahrt")
	deWeltkindertag    = fromCal(de.Weltkindertag, "Weltkindertag") // rickar: from 2019
	deEinheit          = fromCal(de.DeutschenEinheit, "Tag der Deutschen Einheit").since(1990)
	deReformationstag  = fromCal(de.Reformationstag, "Reformationstag")
	deAllerheiligen    = fromCal(de.Allerheiligen, "Allerheiligen")
	deBussUndBettag    = fromCal(de.BussUndBettag, "Buß- und Bettag")
	deWeihnachten1     = fromCal(de.Weihnachtstag, "1. Weihnachtstag")
	deWeihnachten2     = fromCal(de.ZweiterWeihnachtsfeiertag, "2. Weihnachtstag")

	// Berlin: 75th and 80th anniversary of the end of the war in Europe,
	// each a one-off holiday by amendment of the Feiertagsgesetz.
	deTagDerBefreiung = fixed(time.May, 8, "Tag der Befreiung").only(2020, 2025)

	// Reformationstag: 2017 (500th anniversary) in every state; in the five
	// eastern states since they were re-established; in HB, HH, NI, SH by
	// the 2018 amendments.
	deReformationOnce  = deReformationstag.only(2017)
	deReformationEast  = deReformationstag.since(1990)
	deReformationNorth = deReformationstag.since(2017)
)

// deBase are the nine holidays of every state.
var deBase = []rule{deNeujahr, deKarfreitag, deOstermontag, deTagDerArbeit, deHimmelfahrt,
	dePfingstmontag, deEinheit, deWeihnachten1, deWeihnachten2}

// deNational are the holidays of every German state: Tag der Deutschen
// Einheit is federal (Einigungsvertrag Art. 2), the others are in all
// sixteen state statutes. TestGermanNationalIsIntersection checks it.
var deNational = with(deBase, deReformationOnce)

// germanState is one row of the state table.
type germanState struct {
	code  string // ISO 3166-2:DE subdivision code without "DE-"
	rules []rule
}

// germanStates lists each state's statutory holidays (its Feiertagsgesetz,
// named per row), checked against rickar/cal's HolidaysXX lists; the rows
// note where they differ.
var germanStates = []germanState{
	// BW: Gesetz über die Sonntage und Feiertage (Feiertagsgesetz, FTG): +
	// Heilige Drei Könige, Fronleichnam, Allerheiligen.
	{"BW", with(deBase, deDreiKoenige, deReformationOnce, deFronleichnam, deAllerheiligen)},
	// BY: Feiertagsgesetz (FTG) Art. 1: + Heilige Drei Könige, Fronleichnam,
	// Allerheiligen. Mariä Himmelfahrt only in communes with a mainly
	// catholic population and the Augsburger Friedensfest (8.8.) only in
	// Augsburg: left out.
	{"BY", with(deBase, deDreiKoenige, deReformationOnce, deFronleichnam, deAllerheiligen)},
	// BE: Gesetz über die Sonn- und Feiertage § 1: + Internationaler
	// Frauentag (since 2019); Tag der Befreiung 8.5.2020 and 8.5.2025
	// (one-off; rickar has neither the start year nor these).
	{"BE", with(deBase, deFrauentag.since(2019), deReformationOnce, deTagDerBefreiung)},
	// BB: Feiertagsgesetz (FTG): + Ostersonntag, Pfingstsonntag,
	// Reformationstag. rickar lacks the two Sundays.
	{"BB", with(deBase, deOstersonntag, dePfingstsonntag, deReformationEast)},
	// HB: Gesetz über die Sonn- und Feiertage: + Reformationstag (since
	// 2018; rickar has no start year).
	{"HB", with(deBase, deReformationNorth)},
	// HH: Feiertagsgesetz: + Reformationstag (since 2018).
	{"HH", with(deBase, deReformationNorth)},
	// HE: Hessisches Feiertagsgesetz (HFeiertagsG): + Fronleichnam.
	{"HE", with(deBase, deReformationOnce, deFronleichnam)},
	// MV: Feiertagsgesetz (FTG M-V): + Internationaler Frauentag (since
	// 2023; missing in rickar), Reformationstag.
	{"MV", with(deBase, deFrauentag.since(2023), deReformationEast)},
	// NI: Niedersächsisches Gesetz über die Feiertage (NFeiertagsG): +
	// Reformationstag (since 2018).
	{"NI", with(deBase, deReformationNorth)},
	// NW: Feiertagsgesetz NW: + Fronleichnam, Allerheiligen.
	{"NW", with(deBase, deReformationOnce, deFronleichnam, deAllerheiligen)},
	// RP: Landesgesetz über den Schutz der Sonn- und Feiertage (LFtG): +
	// Fronleichnam, Allerheiligen.
	{"RP", with(deBase, deReformationOnce, deFronleichnam, deAllerheiligen)},
	// SL: Gesetz über die Sonn- und Feiertage (SFG): + Fronleichnam,
	// Mariä Himmelfahrt, Allerheiligen.
	{"SL", with(deBase, deReformationOnce, deFronleichnam, deMariaHimmelfahrt, deAllerheiligen)},
	// SN: Gesetz über Sonn- und Feiertage im Freistaat Sachsen (SächsSFG)
	// § 1: + Reformationstag, Buß- und Bettag. Fronleichnam only in some
	// communes of the Sorbian area: left out. (Before 1995 Buß- und Bettag
	// was a holiday in every state; that is not modelled.)
	{"SN", with(deBase, deReformationEast, deBussUndBettag)},
	// ST: Gesetz über die Sonn- und Feiertage (FeiertG LSA): + Heilige
	// Drei Könige, Reformationstag.
	{"ST", with(deBase, deDreiKoenige, deReformationEast)},
	// SH: Sonn- und Feiertagsgesetz (SFTG): + Reformationstag (since
	// 2018).
	{"SH", with(deBase, deReformationNorth)},
	// TH: Thüringer Feier- und Gedenktagsgesetz (ThürFtG): + Weltkindertag
	// (since 2019), Reformationstag. Fronleichnam only in communes of the
	// Eichsfeld with a mainly catholic population: left out.
	{"TH", with(deBase, deWeltkindertag, deReformationEast)},
}

// with returns a new slice of base followed by more.
func with(base []rule, more ...rule) []rule {
	out := make([]rule, 0, len(base)+len(more))
	out = append(out, base...)
	return append(out, more...)
}
