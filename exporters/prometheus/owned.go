package prometheus

import (
	"bufio"
	"bytes"
	"io"
	"sync"

	"github.com/klauspost/compress/gzip"
)

// scrapeBuffers are what one /metrics response writes through: the render
// buffer, the gzip writer (its compressor state is ~1 MB) and a 64 KB buffer
// in front of the connection, so that the compressed body goes out in a
// dozen writes rather than two hundred 4 KB ones. The handler owns one set
// and keeps it between scrapes: a sync.Pool is emptied by the garbage
// collections between two scrapes 15 s apart, and building the set anew
// cost every scrape a megabyte of fresh, page-faulted memory. A scrape that
// finds the set in use (scrapes at once) builds its own.
type scrapeBuffers struct {
	render []byte
	zw     *gzip.Writer
	out    *bufio.Writer
	// segments is the owned set's gzip writer that keeps what it compressed
	// from one scrape to the next; a set built for one scrape uses zw.
	segments *segmentedGzip
	// runtime holds the runtime metrics' text, written as one segment.
	runtime bytes.Buffer
}

type ownedBuffers struct {
	mu  sync.Mutex
	set *scrapeBuffers
}

// take returns the owned set, or a fresh one when it is in use; give hands
// it back.
func (o *ownedBuffers) take() (s *scrapeBuffers, owned bool) {
	if o.mu.TryLock() {
		if o.set == nil {
			o.set = &scrapeBuffers{}
		}
		return o.set, true
	}
	return &scrapeBuffers{}, false
}

func (o *ownedBuffers) give(owned bool) {
	if owned {
		o.mu.Unlock()
	}
}

// gzipTo returns the set's gzip writer, writing to w through the 64 KB
// buffer; finish must be called after the last write.
func (s *scrapeBuffers) gzipTo(w io.Writer) *gzip.Writer {
	s.outTo(w)
	if s.zw == nil {
		s.zw, _ = gzip.NewWriterLevel(s.out, gzip.BestSpeed)
	} else {
		s.zw.Reset(s.out)
	}
	return s.zw
}

// segmentsTo returns the set's segmented gzip writer, writing to w through
// the 64 KB buffer; finishSegments must be called after the last write.
func (s *scrapeBuffers) segmentsTo(w io.Writer) *segmentedGzip {
	s.outTo(w)
	if s.segments == nil {
		s.segments = newSegmentedGzip()
	}
	s.segments.start(s.out)
	return s.segments
}

// finishSegments ends the gzip body and flushes it to the connection, then
// lets go of the connection.
func (s *scrapeBuffers) finishSegments() {
	if s.segments.finish() == nil {
		s.out.Flush()
	}
	s.out.Reset(io.Discard)
}

func (s *scrapeBuffers) outTo(w io.Writer) {
	if s.out == nil {
		s.out = bufio.NewWriterSize(w, 64<<10)
	} else {
		s.out.Reset(w)
	}
}

// finish closes the gzip stream and flushes it to the connection, then lets
// go of the connection.
func (s *scrapeBuffers) finish() {
	s.zw.Close()
	s.out.Flush()
	s.zw.Reset(io.Discard)
	s.out.Reset(io.Discard)
}
