package directory

// Ref names a record of a known kind the way another service that refers to it holds it: by its global ID or
// by its readable key (a region's code). A federation router sends such references to resolve them in bulk.
type Ref struct {
	// ID is the record's global ID; when set, it names the record, and Key is not read.
	ID string
	// Key is the record's key, or a region's code.
	Key string
}

// Resolve returns the record of the kind that the reference names, found with byKey (Snapshot.City, ...), or
// nil and an error a client can act on: not found, also for the global ID of a record of another kind (which
// this lookup never returns), or invalid input for an ID this directory did not issue. It costs one lookup.
func Resolve[T any](kind string, ref Ref, byKey func(string) *T) (*T, error) {
	if ref.ID == "" {
		if x := byKey(ref.Key); x != nil {
			return x, nil
		}
		return nil, Errorf(CodeNotFound, "no %s with the %s %s", noun(kind), keyName(kind), quote(ref.Key))
	}
	idKind, key, err := ParseGlobalID(ref.ID)
	if err != nil {
		return nil, err
	}
	if idKind == kind {
		if x := byKey(key); x != nil {
			return x, nil
		}
	}
	return nil, Errorf(CodeNotFound, "no %s with the ID %s", noun(kind), quote(ref.ID))
}

// keyName names the readable key of a record kind.
func keyName(kind string) string {
	if kind == KindRegion || kind == KindCountry {
		return "code"
	}
	return "key"
}
