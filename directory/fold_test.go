package directory_test

import (
	"sync"
	"testing"

	"github.com/iclei/directory/directory"
)

var foldTests = []struct {
	name, in, want string
}{
	{"removes accents", "São Paulo", "sao paulo"},
	{"maps the right curly apostrophe", "Lin’gui", "lin'gui"},
	{"maps the left curly apostrophe", "‘Ewa Beach", "'ewa beach"},
	{"collapses and trims white space", "  Cheonggyecheon\tStream ", "cheonggyecheon stream"},
	{"collapses Unicode white space", "Porto\u00a0\u3000 Alegre\u2003", "porto alegre"},
	{"lower-cases and removes accents of capitals", "ÉCOLE", "ecole"},
	{"folds sharp s as full case folding does", "Straße", "strasse"},
	{"folds the dotted capital I to i", "İstanbul", "istanbul"},
	{"folds Greek final sigma", "ΣΊΣΥΦΟΣ", "σισυφοσ"},
	{"removes Vietnamese tone marks", "Hồ Chí Minh", "ho chi minh"},
	{"removes Cyrillic breves", "Йошкар-Ола", "иошкар-ола"},
	{"keeps letters with a stroke", "Łódź", "łodz"},
	{"keeps precomposed ligature-free Nordic letters", "Ærø Ø", "ærø ø"},
	{"passes Korean through", "서울특별시", "서울특별시"},
	{"passes Chinese through", "北京市 上海", "北京市 上海"},
	{"keeps Japanese voicing marks", "ガーデン・ブリッジ", "ガーデン・ブリッジ"},
	{"keeps Devanagari marks", "नई दिल्ली", "नई दिल्ली"},
	{"lower-cases ASCII", "New York CITY", "new york city"},
	{"keeps ASCII punctuation", "Côte d'Ivoire, Abidjan.", "cote d'ivoire, abidjan."},
	{"keeps an already folded string", "sao paulo", "sao paulo"},
	{"folds the empty string to itself", "", ""},
	{"folds white space alone to the empty string", " \t\n ", ""},
	{"folds Unicode white space alone to the empty string", "\u00a0\u2003", ""},
}

func TestFold(t *testing.T) {
	for _, tt := range foldTests {
		t.Run(tt.name, func(t *testing.T) {
			if got := directory.Fold(tt.in); got != tt.want {
				t.Errorf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}

	t.Run("is idempotent", func(t *testing.T) {
		for _, tt := range foldTests {
			once := directory.Fold(tt.in)
			if twice := directory.Fold(once); twice != once {
				t.Errorf("Fold(Fold(%q)) = %q, want %q", tt.in, twice, once)
			}
		}
	})

	t.Run("makes accented and plain spellings equal", func(t *testing.T) {
		pairs := [][2]string{
			{"São Paulo", "SAO PAULO"},
			{"Bogotá", "bogota"},
			{"Curaçao", "Curacao"},
			{"Malmö", "Malmo"},
			{"Lin’gui", "Lin'gui"},
			{"Ciudad de  México", "ciudad de mexico"},
		}
		for _, p := range pairs {
			if a, b := directory.Fold(p[0]), directory.Fold(p[1]); a != b {
				t.Errorf("Fold(%q) = %q and Fold(%q) = %q differ", p[0], a, p[1], b)
			}
		}
	})

	t.Run("does not allocate for folded ASCII", func(t *testing.T) {
		for _, s := range []string{"", "sao paulo", "cheonggyecheon stream", "lin'gui"} {
			if n := testing.AllocsPerRun(100, func() { directory.Fold(s) }); n != 0 {
				t.Errorf("Fold(%q) allocates %v times per call", s, n)
			}
		}
	})

	t.Run("is safe for concurrent use", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make(chan string, len(foldTests)*8)
		for range 8 {
			wg.Go(func() {
				for range 50 {
					for _, tt := range foldTests {
						if got := directory.Fold(tt.in); got != tt.want {
							errs <- tt.in + " folded to " + got
							return
						}
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Error(e)
		}
	})
}
