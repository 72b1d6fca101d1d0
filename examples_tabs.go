package main

import "github.com/iclei/directory/playground"

// exampleTabs are the operations the playground opens with.
var exampleTabs = []playground.Tab{
	{Name: "OfficesInEastAsia", Query: `query OfficesInEastAsia {
  region(code: "east-asia") {
    name
    secretariat { name }
    offices(first: 20) {
      totalCount
      nodes {
        name
        kind
        address { street locality postalCode country { code name } }
        phone { international }
        location { latitude longitude precision curated }
      }
    }
  }
}
`},
	{Name: "CityMembershipsAndPrograms", Query: `query CityMembershipsAndPrograms($city: String!) {
  city(key: $city) {
    name
    localNames { lang name }
    country { code name }
    region { name }
    parent { name }
    membership { category status since secretariat { name } }
    memberships { category status since until }
    programs(first: 10) {
      nodes {
        title
        endDate
        delegateCount
        organizers { __typename ... on Secretariat { name } ... on Organization { name } ... on City { government } }
      }
    }
  }
}
`, Variables: `{"city": "beijing"}`},
	{Name: "WhichOfficeServesVietnam", Query: `query WhichOfficeServesVietnam {
  serviceFor(country: "VN") {
    country { name }
    region { name }
    secretariat { name }
    contact { name address { lines } phone { international } website }
    offices { name address { locality country { code } } }
  }
}
`},
}
