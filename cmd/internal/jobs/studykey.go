package jobs

import (
	"fmt"
	"os"

	"toolmap/survey/export"
)

// StudyKeyEnv is the environment variable holding the study key.
const StudyKeyEnv = "TOOLMAP_STUDY_KEY"

// makeKeyHint says how to make a study key.
const makeKeyHint = `make one once per study, keep it outside the database and the exports, and keep it as long as the study (pseudonyms change with the key):
  head -c 32 /dev/urandom | xxd -p -c 64 > study.key; chmod 600 study.key`

// LoadStudyKey reads the study key that pseudonymises exports (and finds
// a respondent for toolmap forget): from keyFile when one is given, else
// from the environment variable StudyKeyEnv. A key file others may read
// is still used, with a warning for the operator; a missing or short key
// is an error that says how to make one.
func LoadStudyKey(keyFile string, getenv func(string) string) (key []byte, warning string, err error) {
	if keyFile == "" {
		v := getenv(StudyKeyEnv)
		if v == "" {
			return nil, "", fmt.Errorf("no study key: set %s or give --key-file FILE; %s", StudyKeyEnv, makeKeyHint)
		}
		if key, err = export.ParseKey([]byte(v)); err != nil {
			return nil, "", fmt.Errorf("the study key in %s: %w; %s", StudyKeyEnv, err, makeKeyHint)
		}
		return key, "", nil
	}
	fi, err := os.Stat(keyFile)
	if err != nil {
		return nil, "", fmt.Errorf("read the study key: %w", err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		warning = fmt.Sprintf("the study key %s can be read by others (mode %04o): chmod 600 %s", keyFile, perm, keyFile)
	}
	data, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, warning, fmt.Errorf("read the study key: %w", err)
	}
	if key, err = export.ParseKey(data); err != nil {
		return nil, warning, fmt.Errorf("the study key in %s: %w; %s", keyFile, err, makeKeyHint)
	}
	return key, warning, nil
}
