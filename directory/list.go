package directory

// ListOffices returns every office the filter selects, by name: the whole list an export needs, where a
// connection would give it a page at a time. The filter is validated as Offices validates it.
func (s *Snapshot) ListOffices(f OfficeFilter) ([]*Office, error) {
	return listAll(func(p PageArgs) (*Page[*Office], error) { return s.Offices(f, Order{}, p) })
}

// ListCities returns every city the filter selects, by name. The filter is validated as Cities validates it.
func (s *Snapshot) ListCities(f CityFilter) ([]*City, error) {
	return listAll(func(p PageArgs) (*Page[*City], error) { return s.Cities(f, Order{}, p) })
}

// listAll walks a connection page by page to its end.
func listAll[T any](page func(PageArgs) (*Page[T], error)) ([]T, error) {
	var all []T
	size := MaxPageSize
	args := PageArgs{First: &size}
	for {
		p, err := page(args)
		if err != nil {
			return nil, err
		}
		all = append(all, p.Nodes()...)
		if !p.PageInfo.HasNextPage {
			return all, nil
		}
		args.After = p.PageInfo.EndCursor
	}
}
