package survey

// PrivacyGaps names what /privacy leaves out that respondents are owed:
// who is responsible for their data (Controller.Name) and how to reach
// them (Controller.Contact). The notice promises both ("/privacy has the
// full notice, including who is responsible for your data"), so a survey
// about to go live should set them. Like MessageGaps, these are notes,
// not problems: the survey works without them.
func (d *Definition) PrivacyGaps() Problems {
	ps := &problems{file: d.File}
	pos := d.Controller.Pos
	if pos.Line == 0 {
		pos = Pos{Line: 1}
	}
	switch c := d.Controller; {
	case c.Name == "" && c.Contact == "":
		ps.add(pos, "controller", "/privacy names no one responsible for the respondents' data: add controller: with name: (who is responsible) and contact: (an email or postal address) before going live")
	case c.Name == "":
		ps.add(pos, "controller", "/privacy gives a contact but no name: add name: (who is responsible for the respondents' data)")
	case c.Contact == "":
		ps.add(pos, "controller", "/privacy names %s but gives no way to reach them: add contact: (an email or postal address)", c.Name)
	}
	return ps.list
}
