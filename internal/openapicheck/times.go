package openapicheck

import (
	"fmt"
	"regexp"
	"strings"
)

// jsonDateTime is a JSON string that is a date-time, whole.
var jsonDateTime = regexp.MustCompile(`"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d))"`)

// Times checks the times of a JSON answer: none is the zero time
// (0001-01-01, what an unset Go time.Time encodes as), and every
// date-time is in UTC with Z, as the API promises. Other answers pass.
func Times(contentType string, body []byte) error {
	if !strings.Contains(contentType, "json") {
		return nil
	}
	if strings.Contains(string(body), "0001-01-01") {
		return fmt.Errorf("the zero time 0001-01-01 in the answer")
	}
	for _, m := range jsonDateTime.FindAllSubmatch(body, -1) {
		if !strings.HasSuffix(string(m[1]), "Z") {
			return fmt.Errorf("time %s is not in UTC with Z", m[1])
		}
	}
	return nil
}
