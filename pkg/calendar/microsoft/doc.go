// Package microsoft reads and writes Microsoft 365 / Exchange Online calendars
// through Microsoft Graph (github.com/microsoftgraph/msgraph-sdk-go) and
// connects accounts through the Microsoft identity platform (OAuth 2).
//
// Provider implements slotbook.CalendarProvider and slotbook.OAuthProvider.
// Every call refreshes an access token from the account's refresh token,
// talks to Graph live and keeps nothing: no token, event or title outlives
// the call, nothing is logged, and errors carry only the operation, the HTTP
// status and the Graph or OAuth error code (never a response body, a subject
// or a token).
//
// Quirks of Graph and of the SDK that this package handles:
//
//   - Request compression is off. The SDK's default middleware list comes
//     out of a map in random order; when the retry handler runs before the
//     compression handler, a retried POST goes out as plain JSON labelled
//     Content-Encoding: gzip (kiota-http-go #183). The pipeline here is a
//     fixed list without the compression handler.
//   - The URL-replace handler stays in the pipeline: the SDK addresses /me
//     as /users/me-token-to-replace and relies on it to rewrite the path.
//   - Retries (429, 503, 504) are calhttp.Retry's, the pipeline's parent
//     transport: they honour Retry-After and never wait past the request's
//     deadline: a wait that would cross it is not started, and the
//     throttled answer is returned at once.
//   - Microsoft rotates the refresh token on every refresh; the new one is
//     handed to Account.OnRotate.
//   - getSchedule: the SDK sends PascalCase keys ("Schedules") and parses
//     statuses case-sensitively, dropping any it does not know, while
//     Graph's own documented example answers them capitalised ("Tentative").
//     So its answer is decoded here, case-insensitively, and an unrecognised
//     status counts as busy. Times come without an offset
//     ("2025-01-06T12:00:00.0000000") in the zone asked for with
//     Prefer: outlook.timezone="UTC", or, where that is not honoured, in the
//     mailbox's zone under its Windows name ("W. Europe Standard Time"),
//     which tzname.Resolve reads. A failure for one schedule comes inside
//     the 200 and makes that calendar unreadable, never free. Windows are cut
//     to under 42 days, within both limits on record (62 days for Graph, 42
//     for Exchange's free/busy).
//   - getSchedule's schedules are SMTP addresses; an address it cannot
//     resolve comes back as an error for that schedule (inside the 200),
//     never as free time. Calendar ids are opaque ("AAMkAD…="), never an
//     address. The mailbox's address is the owner of its default calendar:
//     Calendars reports it as CalendarInfo.Owner, and Busy, given an
//     Account.Email that is not an address (connections made before it was
//     read at connect time hold the calendar id), takes it from the lookup
//     of the default calendar and hands it to Account.OnAddress.
//   - getSchedule reads only the mailbox's default calendar, and personal
//     Microsoft accounts answer it with an error; other calendars, and the
//     default one when getSchedule fails for any reason but refused
//     credentials, throttling, the deadline or a failure reported for the
//     schedule itself, are read with calendarView (showAs, start, end,
//     isCancelled only), page by page.
//   - PutEvent sets transactionId, derived from the draft's key: Graph
//     answers a repeated create with the same transactionId with the event it
//     made the first time, so a retry after a lost answer makes no second
//     event.
package microsoft
