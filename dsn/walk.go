package dsn

import (
	"io"
	"strings"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"
)

// newEntity is message.New(hdr, body), mediaType being what
// hdr.ContentType returns, but a
// quoted-printable body is decoded by qpReader (the same bytes, faster):
// New is given a copy of the header without Content-Transfer-Encoding and
// the decoded body, and applies the charset as always; the entity then
// gets the whole header back.
func newEntity(hdr message.Header, mediaType string, body io.Reader) (*message.Entity, error) {
	// New ignores the encoding of multipart entities.
	if !strings.HasPrefix(mediaType, "multipart/") && strings.ToLower(hdr.Get("Content-Transfer-Encoding")) == "quoted-printable" {
		c := hdr.Copy()
		c.Del("Content-Transfer-Encoding")
		e, err := message.New(c, newQPReader(body))
		if e != nil {
			e.Header = hdr
		}
		return e, err
	}
	return message.New(hdr, body)
}

// walk is e.Walk(fn) without the path, its parts made by newEntity: it
// calls fn for e and every part below it, depth first, with the media
// type of the part's Content-Type (as Header.ContentType returns it),
// forwarding the errors of unknown charsets and encodings to fn and
// stopping at any other error of the multipart structure or of fn.
func walk(e *message.Entity, fn func(part *message.Entity, mediaType string, err error) error) error {
	var readers []*textproto.MultipartReader
	part := e
	mt, params, _ := e.Header.ContentType()
	var err error
	for {
		if part == nil {
			if len(readers) == 0 {
				break
			}
			p, perr := readers[len(readers)-1].NextPart()
			if perr == io.EOF {
				readers = readers[:len(readers)-1]
				continue
			}
			if perr != nil {
				return perr
			}
			hdr := message.Header{Header: p.Header}
			mt, params, _ = hdr.ContentType()
			part, err = newEntity(hdr, mt, p)
			if err != nil && !message.IsUnknownEncoding(err) && !message.IsUnknownCharset(err) {
				return err
			}
		}
		if err := fn(part, mt, err); err != nil {
			return err
		}
		// Entity.MultipartReader: a reader for a multipart/* entity.
		if strings.HasPrefix(mt, "multipart/") {
			readers = append(readers, textproto.NewMultipartReader(part.Body, params["boundary"]))
		}
		part, err = nil, nil
	}
	return nil
}
