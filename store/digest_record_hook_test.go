package store

import "toolmap/survey"

// IndexRecord is the record of the digest index for the response stored
// as data, as the store writes it, for the tests outside the package that
// write raw bytes; an empty record, which does not read either, when the
// response does not decode.
func IndexRecord(data []byte) []byte {
	var s survey.Session
	if err := newSessionDecoder().decodeSession(data, &s, partDigest); err != nil {
		return []byte{}
	}
	return encodeDigestRecord(&s)
}
