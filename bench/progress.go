package bench

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// progress draws a bar for the running phase on stderr: redrawn in place
// on a terminal, a line every few seconds otherwise (logs stay readable).
type progress struct {
	w   io.Writer
	tty bool

	mu   sync.Mutex
	stop chan struct{}
	wg   sync.WaitGroup
}

func newProgress(w io.Writer) *progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return &progress{w: w, tty: tty}
}

// phase shows name's progress over d until the returned func is called;
// status, if given, adds the running counts.
func (p *progress) phase(name string, d time.Duration, status func() string) (end func()) {
	p.mu.Lock()
	stop := make(chan struct{})
	p.stop = stop
	p.mu.Unlock()
	start := time.Now()
	every := 200 * time.Millisecond
	if !p.tty {
		every = 5 * time.Second
	}
	draw := func(final bool) {
		el := time.Since(start)
		extra := ""
		if status != nil {
			extra = "  " + status()
		}
		const width = 30
		var line string
		if d > 0 {
			frac := min(el.Seconds()/d.Seconds(), 1)
			if final {
				frac = 1
			}
			n := int(frac * width)
			line = fmt.Sprintf("%-22s [%s%s] %3.0f%% %5.1fs%s", name, strings.Repeat("#", n), strings.Repeat(".", width-n), frac*100, el.Seconds(), extra)
		} else {
			// No known end: a marker bouncing along the bar.
			bar := []byte(strings.Repeat(".", width))
			if final {
				bar = []byte(strings.Repeat("#", width))
			} else {
				pos := int(el/(200*time.Millisecond)) % (2 * (width - 1))
				if pos >= width {
					pos = 2*(width-1) - pos
				}
				bar[pos] = '#'
			}
			line = fmt.Sprintf("%-22s [%s]      %5.1fs%s", name, bar, el.Seconds(), extra)
		}
		if p.tty {
			end := ""
			if final {
				end = "\n"
			}
			fmt.Fprintf(p.w, "\r\033[K%s%s", line, end)
		} else {
			fmt.Fprintln(p.w, line)
		}
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-stop:
				draw(true)
				return
			case <-t.C:
				draw(false)
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(stop)
			p.wg.Wait()
		})
	}
}

// say prints a line of what the bench is doing.
func (p *progress) say(format string, args ...any) {
	fmt.Fprintf(p.w, format+"\n", args...)
}
