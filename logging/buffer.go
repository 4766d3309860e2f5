package logging

import (
	"bytes"
	"strings"
	"sync"
)

// Buffer collects log output written from many goroutines (handlers,
// workers), for tests that read what was logged while it is written.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Contains reports whether the output so far holds s.
func (b *Buffer) Contains(s string) bool { return strings.Contains(b.String(), s) }
