package holiday

import "github.com/rickar/cal/v2/at"

// atNational are Austria's public holidays: Feiertagsruhegesetz 1957 § 1
// (also Arbeitsruhegesetz § 7), dates and list as in
// github.com/rickar/cal/v2/at. Karfreitag is not listed: it was a holiday
// only for members of some churches and was abolished in 2019.
var atNational = []rule{
	fromCal(at.Neujahr, "Neujahr"),
	fromCal(at.HeiligeDreiKoenige, "Heilige Drei Könige"),
	fromCal(at.Ostermontag, "Ostermontag"),
	fromCal(at.TagderArbeit, "Staatsfeiertag"),
	fromCal(at.ChristiHimmelfahrt, "Christi Himmelfahrt"),
	fromCal(at.Pfingstmontag, "Pfingstmontag"),
	fromCal(at.Fronleichnam, "Fronleichnam"),
	fromCal(at.MariaHimmelfahrt, "Mariä Himmelfahrt"),
	fromCal(at.Nationalfeiertag, "Nationalfeiertag"),
	fromCal(at.Allerheiligen, "Allerheiligen"),
	fromCal(at.MariaEmpfaengnis, "Mariä Empfängnis"),
	fromCal(at.Christtag, "Christtag"),
	fromCal(at.Stefanitag, "Stefanitag"),
}

// austrianStates are the ISO 3166-2:AT codes of the nine states (1
// Burgenland, 2 Kärnten, 3 Niederösterreich, 4 Oberösterreich, 5 Salzburg,
// 6 Steiermark, 7 Tirol, 8 Vorarlberg, 9 Wien). Public holidays are federal
// law in Austria, so every state has the national list. The states' patron
// saints' days (Leopold in Wien and Niederösterreich, Florian in
// Oberösterreich, Rupert in Salzburg, Josef in Kärnten, Steiermark, Tirol
// and Vorarlberg, Martin in Burgenland) and Kärnten's 10 October are days off
// for schools and some public services, not statutory public holidays, and
// are left out.
var austrianStates = []string{"1", "2", "3", "4", "5", "6", "7", "8", "9"}
