package directory

import "slices"

// ICLEI region codes. They are the stable, readable keys of the regions in the directory; the nine regions
// come from ICLEI's regional structure, and Global is the level of the World Secretariat.
const (
	RegionGlobal                        = "global"
	RegionAfrica                        = "africa"
	RegionEastAsia                      = "east-asia"
	RegionEurope                        = "europe"
	RegionMexicoCentralAmericaCaribbean = "mexico-central-america-caribbean"
	RegionNorthAmerica                  = "north-america"
	RegionOceania                       = "oceania"
	RegionSouthAmerica                  = "south-america"
	RegionSouthAsia                     = "south-asia"
	RegionSoutheastAsia                 = "southeast-asia"
)

// regionCodes lists every region code, the global level first.
var regionCodes = []string{
	RegionGlobal, RegionAfrica, RegionEastAsia, RegionEurope, RegionMexicoCentralAmericaCaribbean,
	RegionNorthAmerica, RegionOceania, RegionSouthAmerica, RegionSouthAsia, RegionSoutheastAsia,
}

// RegionCodes returns every region code, the global level first: a new slice, which the caller may change.
func RegionCodes() []string { return slices.Clone(regionCodes) }
