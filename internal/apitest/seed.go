package apitest

// The seed's keys in the orders the queries return them: by name, as the listing, curated.json and the news item
// name them.
var (
	OfficesByName = []string{"africa-secretariat", "brussels-office", "canada-office", "east-asia-secretariat",
		"european-secretariat", "indonesia-project-office", "japan-office", "korea-office",
		"mexico-central-america-caribbean-secretariat", "oceania-secretariat", "south-american-secretariat",
		"south-asia-secretariat", "southeast-asia-secretariat", "usa-office", "world-secretariat"}
	CitiesByName = []string{"beijing", "chengdu", "guangzhou", "guilin", "guilin-lingui-new-district", "guiyang", "seoul",
		"shanghai", "shenzhen", "shenzhen-guangming-new-district", "suining", "tianjin", "tianjin-eco-city", "zhuzhou"}
	ParticipantsByName = []string{"beijing", "chengdu", "guangzhou", "guilin-lingui-new-district", "guiyang", "shanghai",
		"shenzhen-guangming-new-district", "suining", "tianjin-eco-city", "zhuzhou"}
	SecretariatsByName = []string{"africa-secretariat", "east-asia-secretariat", "european-secretariat",
		"mexico-central-america-caribbean-secretariat", "oceania-secretariat", "south-american-secretariat",
		"south-asia-secretariat", "southeast-asia-secretariat", "world-secretariat"}
	PeopleByName = []string{"gwonsig-won", "joon-ho-ahn", "shu-zhu"}
	// By country code, then by name.
	OfficesByCountry = []string{"oceania-secretariat", "brussels-office", "south-american-secretariat", "canada-office",
		"european-secretariat", "world-secretariat", "indonesia-project-office", "south-asia-secretariat", "japan-office",
		"east-asia-secretariat", "korea-office", "mexico-central-america-caribbean-secretariat", "southeast-asia-secretariat",
		"usa-office", "africa-secretariat"}
	// By region name (Africa, East Asia, Europe, Global, Mexico…, North America, Oceania, South America, South Asia,
	// Southeast Asia), then by name.
	OfficesByRegion = []string{"africa-secretariat", "east-asia-secretariat", "japan-office", "korea-office",
		"brussels-office", "european-secretariat", "world-secretariat", "mexico-central-america-caribbean-secretariat",
		"canada-office", "usa-office", "oceania-secretariat", "south-american-secretariat", "south-asia-secretariat",
		"indonesia-project-office", "southeast-asia-secretariat"}
)
