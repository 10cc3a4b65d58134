package holiday

import (
	"time"

	"github.com/rickar/cal/v2/ch"

	"github.com/slotbook/slotbook/pkg/schedule"
)

// Swiss holiday rules. The dates come from github.com/rickar/cal/v2/ch
// where it has the holiday, from this file otherwise; which canton has
// which holiday is decided by the table cantons below, not by rickar's
// HolidaysXX lists (several of those are wrong, see the report in
// holiday_test.go's TestDeviationsFromRickar).
var (
	chNeujahr          = fromCal(ch.Neujahr, "Neujahrstag", "Nouvel An", "Capodanno")
	chBerchtoldstag    = fromCal(ch.Berchtoldstag, "Berchtoldstag", "Lendemain du Nouvel An", "San Berchtoldo")
	chDreiKoenige      = fromCal(ch.HeiligeDreiKoenige, "Heilige Drei Könige", "Épiphanie", "Epifania")
	chJosefstag        = fromCal(ch.Josefstag, "Josefstag", "Saint-Joseph", "San Giuseppe")
	chKarfreitag       = fromCal(ch.Karfreitag, "Karfreitag", "Vendredi saint", "Venerdì santo")
	chOstermontag      = fromCal(ch.Ostermontag, "Ostermontag", "Lundi de Pâques", "Lunedì di Pasqua")
	chTagDerArbeit     = fromCal(ch.TagderArbeit, "Tag der Arbeit", "Fête du travail", "Primo maggio")
	chAuffahrt         = fromCal(ch.Auffahrt, "Auffahrt", "Ascension", "Ascensione")
	chPfingstmontag    = fromCal(ch.Pfingstmontag, "Pfingstmontag", "Lundi de Pentecôte", "Lunedì di Pentecoste")
	chFronleichnam     = fromCal(ch.Fronleichnam, "Fronleichnam", "Fête-Dieu", "Corpus Domini")
	chBundesfeiertag   = fromCal(ch.Bundesfeiertag, "Bundesfeiertag", "Fête nationale", "Festa nazionale")
	chMariaHimmelfahrt = fromCal(ch.MariaHimmelfahrt, "Mariä Himmelfahrt", "Assomption", "Assunzione")
	chAllerheiligen    = fromCal(ch.Allerheiligen, "Allerheiligen", "Toussaint", "Ognissanti")
	chMariaEmpfaengnis = fromCal(ch.MariaEmpfangnis, "Mariä Empfängnis", "Immaculée Conception", "Immacolata")
	chWeihnachten      = fromCal(ch.Weihnachtstag, "Weihnachtstag", "Noël", "Natale")
	chStephanstag      = fromCal(ch.ZweiterWeihnachtsfeiertag, "Stephanstag", "Saint-Étienne", "Santo Stefano")

	// Not in rickar/cal.
	chPeterUndPaul  = fixed(time.June, 29, "Peter und Paul", "Saints Pierre et Paul", "San Pietro e Paolo")
	chBruderKlaus   = fixed(time.September, 25, "Bruder Klaus")
	chInstauration  = fixed(time.March, 1, "Ausrufung der Republik", "Instauration de la République")
	chPlebiscite    = fixed(time.June, 23, "Jurassischer Unabhängigkeitstag", "Commémoration du plébiscite jurassien")
	chRestauration  = fixed(time.December, 31, "Wiederherstellung der Republik", "Restauration de la République")
	chNaefelser     = newRule(naefelserFahrt, "Näfelser Fahrt")
	chJeuneGenevois = newRule(jeuneGenevois, "Genfer Bettag", "Jeûne genevois")
	chLundiDuJeune  = newRule(lundiDuJeune, "Bettagsmontag", "Lundi du Jeûne fédéral")

	// Variants that hold only in some years.

	// Stephanstag unless Christmas is a Monday or a Friday: AI, AR (and,
	// as far as known, UR) keep three rest days from following one another.
	chStephanstagNoTriple = chStephanstag.unless(func(d schedule.Date) bool {
		wd := d.AddDays(-1).Weekday()
		return wd == time.Monday || wd == time.Friday
	})
	// Neuchâtel: 2 January only when 1 January is a Sunday, 26 December only
	// when Christmas is a Sunday.
	chBerchtoldstagIfMonday = chBerchtoldstag.unless(notMonday)
	chStephanstagIfMonday   = chStephanstag.unless(notMonday)
)

func notMonday(d schedule.Date) bool { return d.Weekday() != time.Monday }

// naefelserFahrt is the first Thursday of April, or the Thursday after it
// when that one is Maundy Thursday (Glarus: "am ersten Donnerstag im April,
// es sei denn, er falle in die Karwoche"; so 2023-04-13, 2026-04-09).
func naefelserFahrt(year int) (schedule.Date, bool) {
	d := nthWeekday(year, time.April, time.Thursday, 1)
	if d == easter(year).AddDays(-3) {
		d = d.AddDays(7)
	}
	return d, true
}

// jeuneGenevois is the Thursday after the first Sunday of September.
func jeuneGenevois(year int) (schedule.Date, bool) {
	return nthWeekday(year, time.September, time.Sunday, 1).AddDays(4), true
}

// lundiDuJeune is the Monday after the third Sunday of September (the
// Federal Day of Thanksgiving, Repentance and Prayer).
func lundiDuJeune(year int) (schedule.Date, bool) {
	return nthWeekday(year, time.September, time.Sunday, 3).AddDays(1), true
}

// chNational are the days that are public holidays in every canton: the
// Bundesfeiertag (the one federal holiday, Art. 110 para. 3 of the Federal
// Constitution) and Neujahr, Auffahrt and Weihnachtstag, which all 26
// cantonal statutes name. Karfreitag (not TI, VS), Ostermontag, Pfingstmontag
// and Stephanstag are not holidays everywhere and so are not national.
// TestSwissNationalIsIntersection checks this list against the table.
var chNational = []rule{chNeujahr, chAuffahrt, chBundesfeiertag, chWeihnachten}

// canton is one row of the cantonal table.
type canton struct {
	code  string // ISO 3166-2:CH subdivision code without "CH-"
	lang  lang
	rules []rule
}

// cantons says which holidays each canton has: the days that the cantonal
// statute makes holidays (equated with Sunday, Art. 20a ArG) or public rest
// days in the whole canton. General sources for every row: Bundesamt für
// Justiz, "Gesetzliche Feiertage und Feiertage, die den Sonntagen
// gleichgestellt sind" (kant-feiertage.pdf, the federal list of cantonal
// holidays), and feiertagskalender.ch (which classes each day per canton as
// "den Sonntagen gleichgestellt" or "gesetzlich anerkannt" and marks the
// days that do not hold in the whole canton). Each row names the canton's
// own source and every choice that was not obvious.
var cantons = []canton{
	// AG: EG Arbeitsrecht § 6 fixes nine holidays per district; only these
	// five hold in every district (hallo-aargau.ch "Öffnungszeiten /
	// Feiertage", the canton's own welcome portal). Left out as district
	// holidays: Berchtoldstag, Ostermontag, Pfingstmontag, Stephanstag
	// (reformed districts) and Fronleichnam, Mariä Himmelfahrt, Allerheiligen,
	// Mariä Empfängnis (catholic districts). 1 May is no holiday in AG
	// (Regierungsrat's answer to the SP motion, Zofinger Tagblatt).
	{"AG", langDE, []rule{chNeujahr, chKarfreitag, chAuffahrt, chBundesfeiertag, chWeihnachten}},
	// AI: Ruhetagsgesetz (GS 822.200) Art. 2 and ai.ch "Feiertage /
	// Ruhetage": equated with Sunday Neujahr, Karfreitag, Ostermontag,
	// Auffahrt, Pfingstmontag, Fronleichnam, Weihnachten and Stephanstag
	// "sofern durch dessen Feier nicht drei Ruhetage aufeinander folgen"
	// (so not when Christmas is a Monday or Friday); public rest days in the
	// whole canton Mariä Himmelfahrt, Allerheiligen, Mariä Empfängnis
	// (listed). St. Mauritius (22.9.) only in the inner part: left out.
	{"AI", langDE, []rule{chNeujahr, chKarfreitag, chOstermontag, chAuffahrt, chPfingstmontag, chFronleichnam,
		chBundesfeiertag, chMariaHimmelfahrt, chAllerheiligen, chMariaEmpfaengnis, chWeihnachten, chStephanstagNoTriple}},
	// AR: hallo-ar.ch "Öffnungszeiten / Feiertage" (canton's welcome portal)
	// and the cantonal ordinance to the ArG: Neujahr, Karfreitag, Ostermontag,
	// Auffahrt, Pfingstmontag, Weihnachten, Stephanstag, the latter not when
	// Christmas is a Monday or Friday (Appenzeller Zeitung, 2017: no three
	// rest days in a row).
	{"AR", langDE, []rule{chNeujahr, chKarfreitag, chOstermontag, chAuffahrt, chPfingstmontag,
		chBundesfeiertag, chWeihnachten, chStephanstagNoTriple}},
	// BE: Gesetz über die Ruhe an öffentlichen Feiertagen (BSG 555.1) Art. 2:
	// Neujahrstag, 2. Januar, Karfreitag, Ostermontag, Auffahrt,
	// Pfingstmontag, Weihnachtstag, 26. Dezember. No 1 May.
	{"BE", langDE, []rule{chNeujahr, chBerchtoldstag, chKarfreitag, chOstermontag, chAuffahrt, chPfingstmontag,
		chBundesfeiertag, chWeihnachten, chStephanstag}},
	// BL: Ruhetagsgesetz as given in the BJ list: Neujahr, Karfreitag,
	// Ostermontag, 1. Mai, Auffahrt, Pfingstmontag, Weihnachten, Stephanstag.
	// Fronleichnam is kept only in some catholic communes: left out (rickar
	// also lists it and Mariä Himmelfahrt for the whole canton).
	{"BL", langDE, []rule{chNeujahr, chKarfreitag, chOstermontag, chTagDerArbeit, chAuffahrt, chPfingstmontag,
		chBundesfeiertag, chWeihnachten, chStephanstag}},
	// BS: Ruhetagsgesetz as given in the BJ list: Neujahr, Karfreitag,
	// Ostermontag, 1. Mai, Auffahrt, Pfingstmontag, Weihnachten, Stephanstag.
	{"BS", langDE, []rule{chNeujahr, chKarfreitag, chOstermontag, chTagDerArbeit, chAuffahrt, chPfingstmontag,
		chBundesfeiertag, chWeihnachten, chStephanstag}},
	// FR: Loi sur les jours fériés; fr.ch "Jour férié, dimanche, jour chômé,
	// jour travaillé": nine holidays, of which only these five hold in the
	// whole canton. Left out: Fête-Dieu, Assomption, Toussaint, Immaculée
	// Conception (catholic part only) and 2 janvier, Lundi de Pâques, Lundi
	// de Pentecôte, Saint-Étienne (reformed communes of the Lake district and
	// Flamatt only).
	{"FR", langFR, []rule{chNeujahr, chKarfreitag, chAuffahrt, chBundesfeiertag, chWeihnachten}},
	// GE: Loi sur les jours fériés (rs/GE J 1 45) art. 1: 1er janvier,
	// Vendredi saint, lundi de Pâques, Ascension, lundi de Pentecôte, 1er août,
	// Jeûne genevois (jeudi qui suit le premier dimanche de septembre), Noël,
	// 31 décembre (Restauration de la République). No 26 December.
	{"GE", langFR, []rule{chNeujahr, chKarfreitag, chOstermontag, chAuffahrt, chPfingstmontag,
		chBundesfeiertag, chJeuneGenevois, chWeihnachten, chRestauration}},
	// GL: Ruhetagsgesetz as given in the BJ list: Neujahr, Näfelser Fahrt,
	// Karfreitag, Ostermontag, Auffahrt, Pfingstmontag, Allerheiligen,
	// Weihnachten, Stephanstag. Näfelser Fahrt: first Thursday of April, a
	// week later when that is Maundy Thursday (Regierungsrat Glarus, reported
	// in Südostschweiz 2023-01; SRF Meteo). Berchtoldstag is customary only.
	{"GL", langDE, []rule{chNeujahr, chNaefelser, chKarfreitag, chOstermontag, chAuffahrt, chPfingstmontag,
		chBundesfeiertag, chAllerheiligen, chWeihnachten, chStephanstag}},
	// GR: Gesetz über die öffentlichen Ruhetage (BR 520.100) Art. 2: Neujahr,
	// Karfreitag, Ostermontag, Auffahrt, Pfingstmontag, Weihnachtstag,
	// Stefanstag. Dreikönige, Josefstag, Fronleichnam, Mariä Himmelfahrt,
	// Allerheiligen, Mariä Empfängnis are local rest days that communes may
	// declare (Art. 3): left out.
	{"GR", langDE, []rule{chNeujahr, chKarfreitag, chOstermontag, chAuffahrt, chPfingstmontag,
		chBundesfeiertag, chWeihnachten, chStephanstag}},
	// JU: Loi sur les jours fériés officiels as given in the BJ list: 1er et 2
	// janvier, Vendredi saint, lundi de Pâques, 1er mai, Ascension, lundi de
	// Pentecôte, Fête-Dieu, 23 juin (Commémoration du plébiscite), 1er août,
	// Assomption, Toussaint, Noël. No 26 December.
	{"JU", langFR, []rule{chNeujahr, chBerchtoldstag, chKarfreitag, chOstermontag, chTagDerArbeit, chAuffahrt,
		chPfingstmontag, chFronleichnam, chPlebiscite, chBundesfeiertag, chMariaHimmelfahrt, chAllerheiligen, chWeihnachten}},
	// LU: Ruhetags- und Ladenschlussgesetz (RLG, SRL 855) § 1a: Neujahr,
	// Karfreitag, Auffahrt, Fronleichnam, Bundesfeiertag, Mariä Himmelfahrt,
	// Allerheiligen, Mariä Empfängnis, Weihnachten, Stephanstag. Josefstag and
	// church patron days only where a commune declares them (§ 1a): left out.
	// Berchtoldstag, Ostermontag, Pfingstmontag are customary days off, not
	// statutory (feiertagskalender.ch class 4).
	{"LU", langDE, []rule{chNeujahr, chKarfreitag, chAuffahrt, chFronleichnam, chBundesfeiertag,
		chMariaHimmelfahrt, chAllerheiligen, chMariaEmpfaengnis, chWeihnachten, chStephanstag}},
	// NE: BJ list and feiertagskalender.ch: 1er janvier, 1er mars
	// (Instauration de la République), Vendredi saint, 1er mai, Ascension,
	// 1er août, Noël; 2 janvier only when 1 January is a Sunday and 26
	// décembre only when Christmas is a Sunday (so both fall on a Monday;
	// eitneuchatel.ch lists 2023-01-02 and 2022-12-26 accordingly). Lundi de
	// Pâques and de Pentecôte are not statutory. Unsure: whether 1 March is
	// moved when it falls on a Sunday (assumed not).
	{"NE", langFR, []rule{chNeujahr, chBerchtoldstagIfMonday, chInstauration, chKarfreitag, chTagDerArbeit,
		chAuffahrt, chBundesfeiertag, chWeihnachten, chStephanstagIfMonday}},
	// NW: BJ list (also python-holidays): Neujahr, Josefstag, Karfreitag,
	// Auffahrt, Fronleichnam, Bundesfeiertag, Mariä Himmelfahrt,
	// Allerheiligen, Mariä Empfängnis, Weihnachten. Berchtoldstag,
	// Ostermontag, Pfingstmontag, Stephanstag customary only. Unsure: the
	// text of NW's own Ruhetagsgesetz was not checked.
	{"NW", langDE, []rule{chNeujahr, chJosefstag, chKarfreitag, chAuffahrt, chFronleichnam,
		chBundesfeiertag, chMariaHimmelfahrt, chAllerheiligen, chMariaEmpfaengnis, chWeihnachten}},
	// OW: BJ list (also python-holidays): Neujahr, Karfreitag, Auffahrt,
	// Fronleichnam, Bundesfeiertag, Mariä Himmelfahrt, Bruder Klaus (25.9.),
	// Allerheiligen, Mariä Empfängnis, Weihnachten. Berchtoldstag,
	// Ostermontag, Pfingstmontag, Stephanstag customary only. Unsure: the
	// text of OW's own statute was not checked.
	{"OW", langDE, []rule{chNeujahr, chKarfreitag, chAuffahrt, chFronleichnam, chBundesfeiertag,
		chMariaHimmelfahrt, chBruderKlaus, chAllerheiligen, chMariaEmpfaengnis, chWeihnachten}},
	// SG: Ruhetagsgesetz as given in the BJ list: Neujahr, Karfreitag,
	// Ostermontag, Auffahrt, Pfingstmontag, Allerheiligen, Weihnachten,
	// Stephanstag. Berchtoldstag customary only.
	{"SG", langDE, []rule{chNeujahr, chKarfreitag, chOstermontag, chAuffahrt, chPfingstmontag,
		chBundesfeiertag, chAllerheiligen, chWeihnachten, chStephanstag}},
	// SH: Ruhetagsgesetz as given in the BJ list: Neujahr, Karfreitag,
	// Ostermontag, 1. Mai, Auffahrt, Pfingstmontag, Weihnachten, Stephanstag.
	// Berchtoldstag customary only.
	{"SH", langDE, []rule{chNeujahr, chKarfreitag, chOstermontag, chTagDerArbeit, chAuffahrt, chPfingstmontag,
		chBundesfeiertag, chWeihnachten, chStephanstag}},
	// SO: so.ch "Gesetzliche Feiertage" (Staatskanzlei) and "Feiertage im
	// Kanton Solothurn" (Amt für Wirtschaft und Arbeit): Neujahr, Karfreitag,
	// 1. Mai from noon, Auffahrt, Fronleichnam, Mariä Himmelfahrt,
	// Allerheiligen, Weihnachten, the three catholic days not in the district
	// Bucheggberg. Listed: the whole-day holidays of the whole canton; 1 May
	// (half day) and Fronleichnam, Mariä Himmelfahrt, Allerheiligen (not in
	// Bucheggberg) are left out. No Berchtoldstag, Ostermontag, Pfingstmontag,
	// Stephanstag in the statute.
	{"SO", langDE, []rule{chNeujahr, chKarfreitag, chAuffahrt, chBundesfeiertag, chWeihnachten}},
	// SZ: BJ list and feiertagskalender.ch: Neujahr, Dreikönige, Josefstag,
	// Karfreitag, Ostermontag, Auffahrt, Pfingstmontag, Fronleichnam, Mariä
	// Himmelfahrt, Allerheiligen, Mariä Empfängnis, Weihnachten, Stephanstag.
	{"SZ", langDE, []rule{chNeujahr, chDreiKoenige, chJosefstag, chKarfreitag, chOstermontag, chAuffahrt,
		chPfingstmontag, chFronleichnam, chBundesfeiertag, chMariaHimmelfahrt, chAllerheiligen,
		chMariaEmpfaengnis, chWeihnachten, chStephanstag}},
	// TG: Ruhetagsgesetz as given in the BJ list: Neujahr, Berchtoldstag,
	// Karfreitag, Ostermontag, 1. Mai, Auffahrt, Pfingstmontag, Weihnachten,
	// Stephanstag.
	{"TG", langDE, []rule{chNeujahr, chBerchtoldstag, chKarfreitag, chOstermontag, chTagDerArbeit, chAuffahrt,
		chPfingstmontag, chBundesfeiertag, chWeihnachten, chStephanstag}},
	// TI: Legge concernente i giorni festivi ufficiali nel Cantone Ticino del
	// 15 dicembre 2009 (RL 10.1.1.1.2) art. 1: Capo d'anno, Epifania, San
	// Giuseppe, Lunedì di Pasqua, Primo maggio, Ascensione, Lunedì di
	// Pentecoste, Corpus Domini, San Pietro e Paolo, Primo agosto, Assunzione,
	// Ognissanti, Immacolata, Natale, Santo Stefano. No Venerdì santo.
	{"TI", langIT, []rule{chNeujahr, chDreiKoenige, chJosefstag, chOstermontag, chTagDerArbeit, chAuffahrt,
		chPfingstmontag, chFronleichnam, chPeterUndPaul, chBundesfeiertag, chMariaHimmelfahrt,
		chAllerheiligen, chMariaEmpfaengnis, chWeihnachten, chStephanstag}},
	// UR: BJ list (also python-holidays): Neujahr, Dreikönige, Josefstag,
	// Karfreitag, Ostermontag, Auffahrt, Pfingstmontag, Fronleichnam, Mariä
	// Himmelfahrt, Allerheiligen, Mariä Empfängnis, Weihnachten, Stephanstag,
	// the latter not when Christmas is a Monday or Friday as in AI and AR.
	// Unsure: that condition was not checked against UR's own statute
	// (Gesetz über den Ladenschluss und die Sonntagsruhe, RB 70.1421).
	{"UR", langDE, []rule{chNeujahr, chDreiKoenige, chJosefstag, chKarfreitag, chOstermontag, chAuffahrt,
		chPfingstmontag, chFronleichnam, chBundesfeiertag, chMariaHimmelfahrt, chAllerheiligen,
		chMariaEmpfaengnis, chWeihnachten, chStephanstagNoTriple}},
	// VD: jours fériés officiels as given in the BJ list: 1er et 2 janvier,
	// Vendredi saint, lundi de Pâques, Ascension, lundi de Pentecôte, 1er
	// août, lundi du Jeûne fédéral (Monday after the third Sunday of
	// September), Noël. No 26 December.
	{"VD", langFR, []rule{chNeujahr, chBerchtoldstag, chKarfreitag, chOstermontag, chAuffahrt, chPfingstmontag,
		chBundesfeiertag, chLundiDuJeune, chWeihnachten}},
	// VS: vs.ch "Jours fériés" and the BJ list: 1er janvier, Saint-Joseph,
	// Ascension, Fête-Dieu, 1er août, Assomption, Toussaint, Immaculée
	// Conception, Noël (localcities.ch for Naters agrees). No Vendredi saint,
	// lundi de Pâques or de Pentecôte, 26 décembre: customary at most.
	{"VS", langFR, []rule{chNeujahr, chJosefstag, chAuffahrt, chFronleichnam, chBundesfeiertag,
		chMariaHimmelfahrt, chAllerheiligen, chMariaEmpfaengnis, chWeihnachten}},
	// ZG: BJ list and feiertagskalender.ch (Kanton Zug): Neujahr, Karfreitag,
	// Auffahrt, Fronleichnam, Bundesfeiertag, Mariä Himmelfahrt,
	// Allerheiligen, Mariä Empfängnis, Weihnachten. Berchtoldstag,
	// Ostermontag, Pfingstmontag, Stephanstag are customary only (class 4).
	{"ZG", langDE, []rule{chNeujahr, chKarfreitag, chAuffahrt, chFronleichnam, chBundesfeiertag,
		chMariaHimmelfahrt, chAllerheiligen, chMariaEmpfaengnis, chWeihnachten}},
	// ZH: Ruhetags- und Ladenöffnungsgesetz (RLG, LS 822.4) § 1: Neujahrstag,
	// Karfreitag, Ostermontag, 1. Mai, Auffahrtstag, Pfingstmontag,
	// 1. August, Weihnachtstag, Stephanstag. Berchtoldstag, Sechseläuten and
	// Knabenschiessen are customary days off, not statutory.
	{"ZH", langDE, []rule{chNeujahr, chKarfreitag, chOstermontag, chTagDerArbeit, chAuffahrt, chPfingstmontag,
		chBundesfeiertag, chWeihnachten, chStephanstag}},
}
