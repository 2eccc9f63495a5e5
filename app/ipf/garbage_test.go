package ipf

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ipfwatch/ipfwatch/app/ipf/ipffake"
)

// garbage is what a broken proxy, another product on the port, or a future
// IP Fabric might answer. None of it may crash the client.
var garbage = []string{
	``, ` `, `null`, `true`, `0`, `-1`, `1e999`, `"text"`, `[]`, `{}`, `[null]`, `[[]]`, `[1,"a",true]`,
	`{"data":null}`, `{"data":{}}`, `{"data":"x"}`, `{"data":[null,1,"x",[]]}`, `{"data":[{}],"_meta":"x"}`,
	`{"data":[{"id":null,"tsEnd":"soon","finishStatus":"done","sites":"HQ"}]}`,
	`{"data":[{"id":"a","tsEnd":1e400,"finishStatus":"done","totalDevCount":{"n":1}}],"_meta":{"count":"-5"}}`,
	`[{"id":"1"}]`, `[{"id":1,"name":2,"groups":"g","result":[],"descriptions":"d"}]`,
	`[{"id":"1","result":{"checks":{"30":{"x":1},"20":"NaN","10":-4,"0":"12abc"},"count":null}}]`,
	`[{"id":"1","result":{"checks":[]},"groups":[null,1,{"name":null},{"name":"ok"}],"apiEndpoint":5}]`,
	`[{"id":"1","descriptions":{"checks":{"30":{"x":1},"99":"x","red":"y"}}}]`,
	`{"id":"s","name":null,"totalDevCount":"12","sites":[null,"A",{"siteName":7},{"x":1}],"errors":[null,{"errorType":null},{"errorType":"E","count":"x"}],"tsStart":"1700000000000","tsEnd":true}`,
	`{"id":["x"],"sites":{},"errors":{}}`,
	`{"apiVersion":7,"releaseVersion":null}`, `{"apiVersion":"v7.0; rm -rf /"}`, `{"apiVersion":["v7.0"]}`,
	`{"username":{"first":"a"}}`, `{"username":null}`,
	`{"data":[{"hostname":{"data":{"data":{"data":"deep"}}},"siteName":[1,[2,[3]]],"c":{"severity":"30"}}],"_meta":{"count":1}}`,
	`{"a":1}{"b":2}`, `[1] [2]`, `{"a":` + strings.Repeat(`[`, 5000) + strings.Repeat(`]`, 5000) + `}`,
	strings.Repeat(`[`, 20000), "\x00\xff\xfe", `<html><body>Login</body></html>`, `{"message":"` + strings.Repeat("x", 5000) + `"}`,
}

func TestGarbageAnswers(t *testing.T) {
	f := startFake(t, ipffake.Options{})
	c := clientFor(t, f, Options{})
	if _, err := c.TestConnection(ctx(t)); err != nil {
		t.Fatal(err)
	}
	check := Check{Name: "c", APIEndpoint: ifTable, Column: "c", WebEndpoint: "/w"}
	calls := map[ipffake.Route]func() (any, error){
		ipffake.RouteVersion: func() (any, error) { return c.TestConnection(ctx(t)) },
		ipffake.RouteMe:      func() (any, error) { return c.TestConnection(ctx(t)) },
		ipffake.RouteSnapshot: func() (any, error) {
			return c.Snapshot(ctx(t), snapID)
		},
		ipffake.RouteReports:       func() (any, error) { return c.Checks(ctx(t), snapID) },
		ipffake.RouteSnapshotTable: func() (any, error) { return c.FinishedSnapshots(ctx(t), time.Time{}) },
		ipffake.RouteTable:         func() (any, error) { return c.CheckRows(ctx(t), snapID, check, Red, 10) },
	}
	statuses := []int{200, 201, 400, 401, 403, 404, 410, 422, 500, 503}
	for route, call := range calls {
		for _, status := range statuses {
			for _, body := range garbage {
				if body == "" && status == 200 {
					body = " " // an empty Body means "no fault" to the fake
				}
				f.SetFault(route, ipffake.Fault{Status: status, Body: body})
				v, err := call()
				f.SetFault(route, ipffake.Fault{})
				if route == ipffake.RouteVersion {
					// Re-read the version for the next round.
					if _, err := c.readVersion(ctx(t)); err != nil {
						t.Fatal(err)
					}
				}
				if err != nil {
					if err.Error() == "" {
						t.Errorf("%s %d %.40q: an empty error", route, status, body)
					}
					if status >= 300 && !typed(err) {
						t.Errorf("%s %d %.40q: error %T %v is not one of the typed errors", route, status, body, err, err)
					}
					continue
				}
				if status >= 300 {
					t.Errorf("%s %d %.40q: no error", route, status, body)
				}
				// Whatever was accepted must marshal (the log stores it).
				if _, err := json.Marshal(v); err != nil {
					t.Errorf("%s %.40q: result does not marshal: %v", route, body, err)
				}
			}
		}
	}
}

func typed(err error) bool {
	var (
		a *AuthError
		b *BadResponseError
		c *ColumnError
		d *ForbiddenError
		e *NotFoundError
		f *ServerError
		g *StatusError
		h *UnsupportedVersionError
		i *RedirectError
	)
	return errors.As(err, &a) || errors.As(err, &b) || errors.As(err, &c) || errors.As(err, &d) || errors.As(err, &e) ||
		errors.As(err, &f) || errors.As(err, &g) || errors.As(err, &h) || errors.As(err, &i)
}

// FuzzParse feeds arbitrary JSON to every parser; `go test` runs the seeds,
// `go test -fuzz FuzzParse ./app/ipf` explores further.
func FuzzParse(f *testing.F) {
	for _, g := range garbage {
		f.Add(g)
	}
	f.Fuzz(func(t *testing.T, body string) {
		v, err := decodeJSON([]byte(body))
		if err != nil {
			return
		}
		for _, item := range append([]any{v}, list(v)...) {
			if m := obj(item); m != nil {
				_ = parseCheck(m, "https://b")
				s := parseSnapshot(m, "https://b")
				if s.Sites == nil || s.Errors == nil {
					t.Fatal("nil lists")
				}
				if _, err := json.Marshal(s); err != nil {
					t.Fatal(err)
				}
			}
		}
		if m := obj(v); m != nil {
			rows := flatten(list(m["data"]), count(obj(m["_meta"])["count"]), []string{"c"}, "c")
			if _, err := json.Marshal(rows); err != nil {
				t.Fatal(err)
			}
		}
		_ = cellText(v)
		_ = num64(v)
		_ = str(v)
	})
}

func TestLenientNumbers(t *testing.T) {
	cases := []struct {
		in   any
		want int
	}{
		{json.Number("21"), 21}, {"21", 21}, {" 21 ", 21}, {json.Number("2.9"), 2}, {"1e3", 1000},
		{nil, 0}, {"", 0}, {"n/a", 0}, {true, 0}, {map[string]any{}, 0}, {json.Number("-3"), 0},
		{json.Number("1e999"), 0}, {"NaN", 0}, {"Inf", 0}, {json.Number("99999999999999"), 1<<31 - 1},
	}
	for _, c := range cases {
		if got := count(c.in); got != c.want {
			t.Errorf("count(%#v) = %d, want %d", c.in, got, c.want)
		}
	}
}
