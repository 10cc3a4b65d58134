package calhttp

import (
	"errors"
	"io"
	"math"
)

// discardLimit is how much of an unwanted body Discard reads: enough for
// an error page, so that the connection can be reused, without reading a
// large answer only to throw it away.
const discardLimit = 64 << 10

// Discard reads up to 64 KiB of a body that is not wanted and closes it.
// net/http reuses a connection only when its last body was read to the
// end; a longer body is cut off, and its connection closed. A nil body
// is ignored.
func Discard(body io.ReadCloser) {
	if body == nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(body, discardLimit))
	_ = body.Close()
}

// ErrTooLarge is returned by a body from LimitBody that holds more than
// its limit.
var ErrTooLarge = errors.New("response too large")

// LimitBody returns body limited to limit bytes: a read past the limit
// fails with ErrTooLarge instead of ending early, since a calendar cut
// off would read as free time. To read a whole body of at most limit
// bytes, io.ReadAll(LimitBody(body, limit)).
func LimitBody(body io.ReadCloser, limit int64) io.ReadCloser {
	return &limitedBody{rc: body, left: limit}
}

type limitedBody struct {
	rc   io.ReadCloser
	left int64 // bytes that may still be read; below zero once past
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, ErrTooLarge
	}
	// One byte more than is left tells a body that ends at the limit
	// from one that goes on.
	if b.left < math.MaxInt64 && int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.rc.Read(p)
	if b.left -= int64(n); b.left < 0 {
		return 0, ErrTooLarge
	}
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }
