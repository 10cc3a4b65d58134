package mail

import (
	"fmt"
	"time"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

// text is one language's words for the mails.
type text struct {
	subject    map[slotbook.Recipient]map[slotbook.NotificationKind]string // fmt: service, date, time
	headline   map[slotbook.Recipient]map[slotbook.NotificationKind]string
	greeting   string // fmt: name
	service    string
	with       string
	when       string
	company    string
	customer   string
	notes      string
	cancelLink string
	// rescheduleLink labels the customer's link to move the booking.
	rescheduleLink string
	dashLink       string
	timeZoneNote   string // fmt: zone
	closing        string
	weekdays       [7]string
	months         [12]string
	dateFormat     func(t time.Time, tx text) string
}

var texts = map[slotbook.Language]text{
	slotbook.German: {
		subject: map[slotbook.Recipient]map[slotbook.NotificationKind]string{
			slotbook.ToCustomer: {
				slotbook.NoticeBooked:      "Terminbestätigung: %s am %s um %s Uhr",
				slotbook.NoticeRescheduled: "Termin verschoben: %s am %s um %s Uhr",
				slotbook.NoticeCancelled:   "Termin abgesagt: %s am %s um %s Uhr",
				slotbook.NoticeReminder:    "Erinnerung: %s am %s um %s Uhr",
			},
			slotbook.ToEmployee: {
				slotbook.NoticeBooked:      "Neue Buchung: %s am %s um %s Uhr",
				slotbook.NoticeRescheduled: "Buchung verschoben: %s am %s um %s Uhr",
				slotbook.NoticeCancelled:   "Buchung abgesagt: %s am %s um %s Uhr",
				slotbook.NoticeReminder:    "Erinnerung: %s am %s um %s Uhr",
			},
		},
		headline: map[slotbook.Recipient]map[slotbook.NotificationKind]string{
			slotbook.ToCustomer: {
				slotbook.NoticeBooked:      "Ihr Termin ist gebucht.",
				slotbook.NoticeRescheduled: "Ihr Termin wurde verschoben. Die neue Zeit:",
				slotbook.NoticeCancelled:   "Ihr Termin wurde abgesagt.",
				slotbook.NoticeReminder:    "Wir erinnern Sie an Ihren Termin.",
			},
			slotbook.ToEmployee: {
				slotbook.NoticeBooked:      "Eine neue Buchung für Sie:",
				slotbook.NoticeRescheduled: "Eine Buchung wurde verschoben. Die neue Zeit:",
				slotbook.NoticeCancelled:   "Eine Buchung wurde abgesagt:",
				slotbook.NoticeReminder:    "Erinnerung an eine Buchung:",
			},
		},
		greeting:       "Guten Tag %s",
		service:        "Leistung",
		with:           "Bei",
		when:           "Wann",
		company:        "Wo",
		customer:       "Kundin/Kunde",
		notes:          "Notiz",
		cancelLink:     "Termin absagen",
		rescheduleLink: "Termin verschieben",
		dashLink:       "In slotbook öffnen",
		timeZoneNote:   "Alle Zeiten in der Zeitzone %s.",
		closing:        "Freundliche Grüße",
		weekdays:       [7]string{"Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"},
		months:         [12]string{"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"},
		dateFormat: func(t time.Time, tx text) string {
			return fmt.Sprintf("%s, %d. %s %d", tx.weekdays[t.Weekday()], t.Day(), tx.months[t.Month()-1], t.Year())
		},
	},
	slotbook.English: {
		subject: map[slotbook.Recipient]map[slotbook.NotificationKind]string{
			slotbook.ToCustomer: {
				slotbook.NoticeBooked:      "Confirmed: %s on %s at %s",
				slotbook.NoticeRescheduled: "Rescheduled: %s on %s at %s",
				slotbook.NoticeCancelled:   "Cancelled: %s on %s at %s",
				slotbook.NoticeReminder:    "Reminder: %s on %s at %s",
			},
			slotbook.ToEmployee: {
				slotbook.NoticeBooked:      "New booking: %s on %s at %s",
				slotbook.NoticeRescheduled: "Booking moved: %s on %s at %s",
				slotbook.NoticeCancelled:   "Booking cancelled: %s on %s at %s",
				slotbook.NoticeReminder:    "Reminder: %s on %s at %s",
			},
		},
		headline: map[slotbook.Recipient]map[slotbook.NotificationKind]string{
			slotbook.ToCustomer: {
				slotbook.NoticeBooked:      "Your appointment is booked.",
				slotbook.NoticeRescheduled: "Your appointment has moved. The new time:",
				slotbook.NoticeCancelled:   "Your appointment has been cancelled.",
				slotbook.NoticeReminder:    "A reminder of your appointment.",
			},
			slotbook.ToEmployee: {
				slotbook.NoticeBooked:      "A new booking for you:",
				slotbook.NoticeRescheduled: "A booking has moved. The new time:",
				slotbook.NoticeCancelled:   "A booking has been cancelled:",
				slotbook.NoticeReminder:    "A reminder of a booking:",
			},
		},
		greeting:       "Hello %s",
		service:        "Service",
		with:           "With",
		when:           "When",
		company:        "Where",
		customer:       "Customer",
		notes:          "Notes",
		cancelLink:     "Cancel the appointment",
		rescheduleLink: "Reschedule",
		dashLink:       "Open in slotbook",
		timeZoneNote:   "All times in the time zone %s.",
		closing:        "Kind regards",
		weekdays:       [7]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
		months:         [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
		dateFormat: func(t time.Time, tx text) string {
			return fmt.Sprintf("%s, %d %s %d", tx.weekdays[t.Weekday()], t.Day(), tx.months[t.Month()-1], t.Year())
		},
	},
}

// textOf returns the words of lang, German if it is unknown.
func textOf(lang slotbook.Language) text {
	if t, ok := texts[lang]; ok {
		return t
	}
	return texts[slotbook.German]
}
