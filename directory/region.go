package directory

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

// RegionCodes lists every region code, the global level first.
var RegionCodes = []string{
	RegionGlobal, RegionAfrica, RegionEastAsia, RegionEurope, RegionMexicoCentralAmericaCaribbean,
	RegionNorthAmerica, RegionOceania, RegionSouthAmerica, RegionSouthAsia, RegionSoutheastAsia,
}
