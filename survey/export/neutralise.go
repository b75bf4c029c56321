package export

// Neutralise defuses a text cell bound for a spreadsheet: a cell that
// begins with =, +, -, @, a tab, a carriage return or NUL could be read as
// a formula (OWASP "CSV Injection", CWE-1236), so it is prefixed with a
// single quote, which spreadsheets show as text. Other cells are returned
// unchanged. Number columns never pass through it: "-3" in a number column
// stays a number.
func Neutralise(s string) string {
	if s != "" && dangerous(s[0]) {
		return "'" + s
	}
	return s
}

func dangerous(c byte) bool {
	switch c {
	case '=', '+', '-', '@', '\t', '\r', 0:
		return true
	}
	return false
}
