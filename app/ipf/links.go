package ipf

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
)

// Links into IP Fabric's web UI, for notifications and the event view. base
// is IP Fabric's address (Client.BaseURL, or a stored one); an empty string
// comes back when a link cannot be built, so callers can hide the button.

// SnapshotURL is a snapshot's page: <base>/snapshot-management/<id>.
func SnapshotURL(base, id string) string {
	if base == "" || id == "" {
		return ""
	}
	return strings.TrimRight(base, "/") + "/snapshot-management/" + url.PathEscape(id)
}

// CheckURL is the web page of check's table filtered to the rows of colour
// color: <base><webEndpoint>?options={"f":{"<column>":["color","eq","30"]}}
// with the options URL-encoded. Without a column it is the unfiltered page.
func CheckURL(base string, check Check, color Color) string {
	page := webURL(base, check.WebEndpoint)
	if page == "" || check.Column == "" {
		return page
	}
	opts, err := json.Marshal(map[string]any{
		"f": map[string]any{check.Column: []string{"color", "eq", strconv.Itoa(int(color))}},
	})
	if err != nil {
		return page
	}
	return page + "?options=" + url.QueryEscape(string(opts))
}

// webURL joins a web UI path onto base. Only a plain absolute path is taken:
// a webEndpoint comes from the server, and a link to another host ("//x",
// "https://x") or with its own query must not be built from it.
func webURL(base, path string) string {
	if base == "" || !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") ||
		strings.ContainsAny(path, "?#\\ \t\r\n") {
		return ""
	}
	return strings.TrimRight(base, "/") + path
}
