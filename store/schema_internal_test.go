package store

import "testing"

func TestMigrationsMatchSchema(t *testing.T) {
	if got := len(migrations); got != Schema {
		t.Errorf("%d migrations for schema %d: add the migration to schema %d", got, Schema, Schema)
	}
}
