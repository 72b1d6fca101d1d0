package main

import "testing"

func TestServerServesSeededDirectory(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	var got struct {
		Directory struct {
			Counts struct{ Offices, Regions, Cities, Programs int }
		}
	}
	s.query(t, `{ directory { counts { offices regions cities programs } } }`, nil, &got)
	if c := got.Directory.Counts; c.Offices != 15 || c.Regions != 10 || c.Cities != 14 || c.Programs != 1 {
		t.Fatalf("counts = %+v", c)
	}
}
