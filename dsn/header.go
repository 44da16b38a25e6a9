package dsn

import (
	"bytes"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"
)

// maxFastHeader bounds the header readHeader reads itself; go-message
// refuses headers above 1 MB, and a longer one is left to it.
const maxFastHeader = 256 << 10

// readEntity is message.Read(bytes.NewReader(data)) for a message whose
// header is well-formed, without go-message's line-by-line copies: the
// header fields are cut out of data (no "\r": Parse has turned every line
// ending into "\n") and added with AddRaw, the body is read from data.
//
// textproto.ReadHeader takes a field's first line and the lines after it
// that start with a space or a tab, and ends the header at an empty line
// or at the end of the input. It fails on a first line that starts with a
// space or a tab, on a field without a colon and on a name with bytes
// outside '!'..'~'; it skips a field with an empty name. readEntity
// leaves every such header, and any with a "\r", to message.Read. The
// entity is made by newEntity.
//
// AddRaw parses a field as ReadHeader does (the value's lines trimmed and
// joined with spaces, a trailing "\r" on a line dropped) and appends it;
// ReadHeader keeps its fields last first, so they are added last first.
// The fields' raw bytes end their lines in "\n", not "\r\n": they would
// only matter for writing the header out.
func readEntity(data []byte) (*message.Entity, error) {
	h, body, ok := cutHeader(data)
	if !ok {
		return message.Read(bytes.NewReader(data))
	}
	hdr := message.Header{Header: h}
	mt, _, _ := hdr.ContentType()
	return newEntity(hdr, mt, bytes.NewReader(body))
}

// cutHeader reads the header of data as described at readEntity; ok is
// false where it leaves the header to go-message.
func cutHeader(data []byte) (h textproto.Header, body []byte, ok bool) {
	if len(data) > 0 && (data[0] == ' ' || data[0] == '\t') {
		return h, nil, false
	}
	var buf [64][]byte
	fields := buf[:0]
	i := 0
	for {
		if i >= len(data) {
			body = data[len(data):]
			break
		}
		if data[i] == '\n' {
			body = data[i+1:]
			break
		}
		start := i
		for {
			j := bytes.IndexByte(data[i:], '\n')
			if j < 0 {
				i = len(data)
				break
			}
			i += j + 1
			if i >= len(data) || data[i] != ' ' && data[i] != '\t' {
				break
			}
		}
		if i > maxFastHeader {
			return h, nil, false
		}
		fields = append(fields, data[start:i])
	}
	if bytes.IndexByte(data[:len(data)-len(body)], '\r') >= 0 {
		return h, nil, false
	}
	// Every field is checked before any is added.
	for k, kv := range fields {
		colon := bytes.IndexByte(kv, ':')
		if colon < 0 {
			return h, nil, false
		}
		name := bytes.Trim(kv[:colon], " \t")
		for _, c := range name {
			if c < '!' || c > '~' {
				return h, nil, false
			}
		}
		if len(name) == 0 {
			fields[k] = nil // skipped, as ReadHeader skips it
		}
	}
	for k := len(fields) - 1; k >= 0; k-- {
		if fields[k] != nil {
			h.AddRaw(fields[k])
		}
	}
	return h, body, true
}
