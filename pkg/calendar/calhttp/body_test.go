package calhttp

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestLimitBody(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		limit   int64
		wantErr error
	}{
		{"shorter than the limit", "BEGIN:VCALENDAR", 100, nil},
		{"exactly the limit", "0123456789", 10, nil},
		{"one byte over the limit fails", "0123456789A", 10, ErrTooLarge},
		{"far over the limit fails", strings.Repeat("x", 1<<20), 1000, ErrTooLarge},
		{"an empty body under a zero limit", "", 0, nil},
		{"a byte under a zero limit fails", "x", 0, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// iotest-like: one byte a read, to cross the limit inside a read
			// as well as at its edge.
			for _, rc := range []io.ReadCloser{io.NopCloser(strings.NewReader(tt.body)), io.NopCloser(&oneByte{r: strings.NewReader(tt.body)})} {
				got, err := io.ReadAll(LimitBody(rc, tt.limit))
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("ReadAll(LimitBody(%d bytes, %d)) error = %v, want %v", len(tt.body), tt.limit, err, tt.wantErr)
				}
				if tt.wantErr == nil && string(got) != tt.body {
					t.Errorf("ReadAll(LimitBody) = %q, want %q", got, tt.body)
				}
				if int64(len(got)) > tt.limit {
					t.Errorf("read %d bytes past a limit of %d", len(got), tt.limit)
				}
			}
		})
	}
}

type oneByte struct{ r io.Reader }

func (o *oneByte) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return o.r.Read(p[:1])
}

func TestLimitBodyClosesWhatItWraps(t *testing.T) {
	b := &trackedBody{Reader: strings.NewReader("x")}
	if err := LimitBody(b, 10).Close(); err != nil || !b.isClosed() {
		t.Errorf("Close = %v, closed %v; want the wrapped body closed", err, b.isClosed())
	}
}

func TestDiscard(t *testing.T) {
	t.Run("reads a short body to the end and closes it", func(t *testing.T) {
		r := strings.NewReader("<html>error page</html>")
		b := &trackedBody{Reader: r}
		Discard(b)
		if r.Len() != 0 || !b.isClosed() {
			t.Errorf("left %d bytes, closed %v; want all read and closed", r.Len(), b.isClosed())
		}
	})
	t.Run("reads no more than 64 KiB of a long one", func(t *testing.T) {
		r := strings.NewReader(strings.Repeat("x", 1<<20))
		b := &trackedBody{Reader: r}
		Discard(b)
		if read := 1<<20 - r.Len(); read != 64<<10 || !b.isClosed() {
			t.Errorf("read %d bytes, closed %v; want 64 KiB and closed", read, b.isClosed())
		}
	})
	t.Run("a nil body is no trouble", func(t *testing.T) {
		Discard(nil)
	})
}
