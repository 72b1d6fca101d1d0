package httpcompress

import (
	"bytes"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Static is a static body that is compressed once per encoding, on first use, at the best ratio, rather than
// on every response: for a large file served again and again, such as a JavaScript bundle, where compressing
// each response would cost milliseconds of CPU per request. A handler serving it sets Content-Encoding itself,
// which Handler leaves alone, and still tags it per encoding.
type Static struct {
	body    []byte
	zstd    func() []byte
	gzipped func() []byte
}

// NewStatic returns the body, ready to be compressed when first asked for.
func NewStatic(body []byte) *Static {
	s := &Static{body: body}
	s.zstd = sync.OnceValue(func() []byte {
		enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedBestCompression))
		if err != nil {
			return nil
		}
		defer enc.Close()
		return enc.EncodeAll(body, nil)
	})
	s.gzipped = sync.OnceValue(func() []byte {
		var buf bytes.Buffer
		zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		if err != nil {
			return nil
		}
		if _, err := zw.Write(body); err != nil || zw.Close() != nil {
			return nil
		}
		return buf.Bytes()
	})
	return s
}

// Encoded returns the body in the encoding, Zstd or Gzip, or nil for any other.
func (s *Static) Encoded(enc string) []byte {
	switch enc {
	case Zstd:
		return s.zstd()
	case Gzip:
		return s.gzipped()
	}
	return nil
}
