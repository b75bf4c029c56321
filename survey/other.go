package survey

import (
	"fmt"
	"hash/fnv"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// MaxOtherNames is how many names one question takes under Other….
const MaxOtherNames = 5

// An other ref is the option id of a button that stands for one name
// typed under Other…: "other.<index>.<check>", where check is a short hash
// of the name. In a question with Other… such a button unticks the name;
// in an options_from question it picks a name typed in the source. The
// check makes a tap on an old keyboard, after the names changed, miss
// rather than hit another name. It cannot clash with an option id, which
// has no dot.
var otherRefPattern = regexp.MustCompile(`^other\.([0-9]{1,2})\.([0-9a-f]{6})$`)

func otherRef(i int, name string) string {
	return OtherID + "." + strconv.Itoa(i) + "." + nameSum(name)
}

func nameSum(name string) string {
	h := fnv.New32a()
	h.Write([]byte(name))
	return fmt.Sprintf("%06x", h.Sum32()&0xffffff)
}

// isOtherRef reports whether id has the form of an other ref.
func isOtherRef(id string) bool { return otherRefPattern.MatchString(id) }

// refIndex returns the index of the name ref stands for among names.
func refIndex(ref string, names []string) (int, bool) {
	m := otherRefPattern.FindStringSubmatch(ref)
	if m == nil {
		return 0, false
	}
	i, err := strconv.Atoi(m[1])
	if err != nil || i >= len(names) || nameSum(names[i]) != m[2] {
		return 0, false
	}
	return i, true
}

// addName adds a name unless the same name (ignoring case, spaces and
// punctuation) is there already.
func addName(names []string, name string) []string {
	f := fold(name)
	if slices.ContainsFunc(names, func(n string) bool { return fold(n) == f }) {
		return names
	}
	return append(slices.Clone(names), name)
}

// joinNames is how several names read in one line.
func joinNames(names []string) string { return strings.Join(names, ", ") }
