package storagetest

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/internal/storage"
)

// racers is how many goroutines race in the concurrency tests.
const racers = 20

// opener creates an empty store for one test.
type opener = func(t *testing.T) storage.Storage

// now returns the current time as every backend can store it exactly.
func now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// mustApp creates an app named after its id.
func mustApp(t *testing.T, s storage.Storage, id string) storage.App {
	t.Helper()
	a := storage.App{ID: id, Name: "name-" + id, SessionPolicy: "continuous", CreatedAt: now()}
	if err := s.CreateApp(t.Context(), a, nil); err != nil {
		t.Fatalf("CreateApp(%s): %v", id, err)
	}
	return a
}

// mustAPIKey creates a development API key of an app.
func mustAPIKey(t *testing.T, s storage.Storage, appID, id string) storage.APIKey {
	t.Helper()
	k := storage.APIKey{ID: id, AppID: appID, Kind: access.Development, SecretCiphertext: []byte("sealed-" + id), CreatedAt: now()}
	if err := s.CreateAPIKey(t.Context(), k, nil); err != nil {
		t.Fatalf("CreateAPIKey(%s): %v", id, err)
	}
	return k
}

// auditEntry returns an audit entry for an action on an app.
func auditEntry(action, appID, target string) *storage.AuditEntry {
	return &storage.AuditEntry{Time: now(), Actor: "cli", Action: action, AppID: appID, Target: target, Detail: []byte(`{"k":"v"}`)}
}

// auditActions returns the actions audited for an app, in order.
func auditActions(t *testing.T, s storage.Storage, appID string) []string {
	t.Helper()
	entries, err := s.ListAudit(t.Context(), storage.AuditQuery{AppID: appID})
	if err != nil {
		t.Fatalf("ListAudit: %v", err)
	}
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action)
	}
	return actions
}

// wantErr fails t unless err is target.
func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("got error %v, want %v", err, target)
	}
}

// noErr fails t if err is not nil.
func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// same fails t unless got equals want, comparing times with Equal and
// treating nil and empty byte slices alike.
func same(t *testing.T, got, want any) {
	t.Helper()
	if d := diff(reflect.ValueOf(got), reflect.ValueOf(want), "value"); d != "" {
		t.Fatalf("%s\n got: %+v\nwant: %+v", d, got, want)
	}
}

func diff(got, want reflect.Value, path string) string {
	if got.Type() != want.Type() {
		return fmt.Sprintf("%s: type %s, want %s", path, got.Type(), want.Type())
	}
	switch {
	case got.Type() == reflect.TypeFor[time.Time]():
		g, w := got.Interface().(time.Time), want.Interface().(time.Time)
		if !g.Equal(w) {
			return fmt.Sprintf("%s: %v, want %v", path, g, w)
		}
		if !g.IsZero() && g.Location() != time.UTC {
			return fmt.Sprintf("%s: %v is not in UTC", path, g)
		}
	case got.Kind() == reflect.Slice && got.Type().Elem().Kind() == reflect.Uint8:
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			return fmt.Sprintf("%s: %q, want %q", path, got.Bytes(), want.Bytes())
		}
	case got.Kind() == reflect.Struct:
		for i := range got.NumField() {
			if d := diff(got.Field(i), want.Field(i), path+"."+got.Type().Field(i).Name); d != "" {
				return d
			}
		}
	case got.Kind() == reflect.Slice:
		if got.Len() != want.Len() {
			return fmt.Sprintf("%s: %d elements, want %d", path, got.Len(), want.Len())
		}
		for i := range got.Len() {
			if d := diff(got.Index(i), want.Index(i), fmt.Sprintf("%s[%d]", path, i)); d != "" {
				return d
			}
		}
	default:
		if !reflect.DeepEqual(got.Interface(), want.Interface()) {
			return fmt.Sprintf("%s: %v, want %v", path, got.Interface(), want.Interface())
		}
	}
	return ""
}

// race runs fn in racers goroutines released at once and returns their
// errors.
func race(fn func(i int) error) []error {
	errs := make([]error, racers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// tally counts the errors that are nil and that are target, and fails t on
// any other error.
func tally(t *testing.T, errs []error, target error) (ok, matched int) {
	t.Helper()
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, target):
			matched++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	return ok, matched
}
