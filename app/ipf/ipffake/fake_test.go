package ipffake

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

// These tests check the fake's wire format with a plain HTTP client, so the
// client's tests rest on a fake that answers as IPF_API.md says.

func client(t *testing.T, s *Server) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(s.Cert)
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

func do(t *testing.T, s *Server, method, path, token, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("X-API-Token", token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client(t, s).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

func jsonEq(t *testing.T, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("not JSON: %q", got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestVersionAndAuth(t *testing.T) {
	s := Start(t, Options{Release: "6.0.1+10", APIVersion: "v6.1"})
	st, _, body := do(t, s, "GET", "/api/version", "", "")
	if st != 200 {
		t.Fatal(st)
	}
	jsonEq(t, body, `{"apiVersion":"v6.1","releaseVersion":"6.0.1+10"}`)

	st, _, body = do(t, s, "GET", "/api/v6.1/users/me", "", "")
	if st != 401 || !strings.Contains(body, `"API_INVALID_API_TOKEN"`) {
		t.Fatalf("no token: %d %s", st, body)
	}
	st, _, _ = do(t, s, "GET", "/api/v6.1/users/me", s.Token, "")
	if st != 200 {
		t.Fatalf("valid token: %d", st)
	}
	s.SetKnobs(func(k *Knobs) { k.TokenExpired = true })
	st, _, body = do(t, s, "GET", "/api/v6.1/users/me", s.Token, "")
	if st != 401 || !strings.Contains(body, `"API_EXPIRED_API_TOKEN"`) {
		t.Fatalf("expired: %d %s", st, body)
	}
	s.SetKnobs(func(k *Knobs) { k.TokenExpired = false })

	st, _, body = do(t, s, "GET", "/api/v5.4/users/me", s.Token, "")
	if st != 410 {
		t.Fatalf("wrong major: %d", st)
	}
	jsonEq(t, body, `{"message":"Unsupported API version used.","release_version":"6.0.1+10","api_version":"v6.1"}`)
	_, h, _ := do(t, s, "GET", "/api/v6.0/users/me", s.Token, "")
	if h.Get("Deprecation") != "true" {
		t.Errorf("older minor: no Deprecation header")
	}
	st, _, _ = do(t, s, "GET", "/api/v6/users/me", s.Token, "")
	if st != 200 {
		t.Errorf("minor omitted: %d", st)
	}

	reqs := s.Requests()
	if reqs[0].HasToken || !reqs[2].TokenValid || reqs[1].HasToken {
		t.Errorf("token records = %+v", reqs[:3])
	}
}

func TestReportsShape(t *testing.T) {
	s := Start(t, Options{})
	s.SetSnapshots(Snapshot{ID: "s1", TsStart: 1, TsEnd: 2})
	s.SetReports("s1", Report{
		ID: "320633253", Name: "CDP/LLDP unidirectional",
		Groups:      []Group{{ID: "320668119", Custom: true, Name: "Neighborship compliance"}},
		APIEndpoint: "/tables/neighbors/unidirectional", WebEndpoint: "/technology/cdp-lldp/unidirectional-neighbors",
		Column: "localHost", DefaultColor: 10, General: "...", Descriptions: map[int]string{10: "Unidirectional CDP or LLDP sessions."},
		Counts: map[int]int{10: 21, 20: 10}, Count: 21,
	}, Report{ID: "2", EmptyResult: true})
	st, _, body := do(t, s, "GET", "/api/v7.0/reports?snapshot=$last", s.Token, "")
	if st != 200 {
		t.Fatal(st, body)
	}
	jsonEq(t, body, `[{"id":"320633253","name":"CDP/LLDP unidirectional",
	   "groups":[{"id":"320668119","custom":true,"name":"Neighborship compliance"}],
	   "apiEndpoint":"/v1/tables/neighbors/unidirectional",
	   "webEndpoint":"/technology/cdp-lldp/unidirectional-neighbors",
	   "column":"localHost","custom":false,"defaultColor":10,"checks":{},
	   "descriptions":{"general":"...","checks":{"0":"","10":"Unidirectional CDP or LLDP sessions.","20":"","30":""}},
	   "status":1,"result":{"checks":{"10":21,"20":10},"count":21}},
	  {"id":"2","name":"","groups":[],"apiEndpoint":"/v1","webEndpoint":"","column":"","custom":false,"defaultColor":0,"checks":{},
	   "descriptions":{"general":"","checks":{"0":"","10":"","20":"","30":""}},"status":-1,"result":{}}]`)

	s.SetKnobs(func(k *Knobs) { k.StringCounts, k.EndpointPrefix = true, "" })
	_, _, body = do(t, s, "GET", "/api/v7.0/reports?snapshot=s1", s.Token, "")
	if !strings.Contains(body, `"checks":{"10":"21","20":"10"},"count":"21"`) || !strings.Contains(body, `"apiEndpoint":"/tables/neighbors/unidirectional"`) {
		t.Fatalf("string counts / no prefix: %s", body)
	}
	st, _, _ = do(t, s, "GET", "/api/v7.0/reports?snapshot=nope", s.Token, "")
	if st != 404 {
		t.Errorf("unknown snapshot: %d", st)
	}
	_, _, body = do(t, s, "GET", "/api/v7.0/reports/groups", s.Token, "")
	jsonEq(t, body, `[{"id":"320668119","name":"Neighborship compliance","custom":true,"children":[{"id":"320633253","weight":1}]}]`)
}

func TestTables(t *testing.T) {
	s := Start(t, Options{})
	s.SetSnapshots(Snapshot{ID: "s1", TsStart: 1, TsEnd: 2})
	var rows []map[string]any
	for i, sev := range []int{30, 30, 30, 20, 0} {
		rows = append(rows, map[string]any{"id": string(rune('a' + i)), "hostname": "h" + string(rune('a'+i)), "state": Cell("down", sev)})
	}
	s.SetTable("/tables/x", Table{Columns: []string{"id", "hostname", "state"}, Rows: rows})
	st, _, body := do(t, s, "POST", "/api/v7.0/tables/x", s.Token,
		`{"columns":["hostname","state"],"snapshot":"s1","filters":{"state":["color","eq",30]},"reports":"/web","pagination":{"limit":2,"start":1}}`)
	if st != 200 {
		t.Fatal(st, body)
	}
	jsonEq(t, body, `{"data":[{"hostname":"hb","state":{"data":"down","severity":30}},{"hostname":"hc","state":{"data":"down","severity":30}}],
	  "_meta":{"limit":2,"start":1,"count":3,"size":2}}`)
	st, _, body = do(t, s, "POST", "/api/v7.0/tables/x", s.Token, `{"columns":["id","siteName"],"snapshot":"s1","pagination":{"limit":2,"start":0}}`)
	if st != 422 || !strings.Contains(body, `"errors":[{"message":"\"columns[1]\" must be one of [hostname, id, state]"}]`) {
		t.Fatalf("bad column: %d %s", st, body)
	}
	st, _, _ = do(t, s, "POST", "/api/v7.0/tables/x", s.Token, `{"columns":["id"],"snapshot":"zz"}`)
	if st != 422 {
		t.Errorf("unknown snapshot: %d", st)
	}
	st, _, _ = do(t, s, "POST", "/api/v7.0/tables/nope", s.Token, `{"columns":["id"],"snapshot":"s1"}`)
	if st != 404 {
		t.Errorf("unknown table: %d", st)
	}
}

func TestSnapshotTable(t *testing.T) {
	s := Start(t, Options{})
	s.SetSnapshots(
		Snapshot{ID: "a", Name: "A", TsStart: 1, TsEnd: 100, Sites: []string{"HQ"}},
		Snapshot{ID: "b", TsStart: 1, TsEnd: 300, Status: "unloaded", FinishStatus: "done"},
		Snapshot{ID: "c", TsStart: 1, TsEnd: 200},
		Snapshot{ID: "d", TsStart: 1, Status: "run"},
	)
	_, _, body := do(t, s, "POST", "/api/v7.0/tables/management/snapshots", s.Token,
		`{"columns":["id","name","status","finishStatus","tsEnd","sites"],"filters":{"and":[{"status":["eq","done"]},{"finishStatus":["eq","done"]}]},
		  "pagination":{"limit":1000,"start":0},"sort":{"order":"desc","column":"tsEnd"}}`)
	jsonEq(t, body, `{"data":[{"id":"c","name":"","status":"done","finishStatus":"done","tsEnd":200,"sites":[]},
	  {"id":"a","name":"A","status":"done","finishStatus":"done","tsEnd":100,"sites":["HQ"]}],"_meta":{"limit":1000,"start":0,"count":2,"size":2}}`)
	_, _, body = do(t, s, "POST", "/api/v7.0/tables/management/snapshots", s.Token, `{"columns":["id"],"filters":{"id":["eq","b"]}}`)
	if !strings.Contains(body, `"data":[{"id":"b"}]`) {
		t.Fatalf("id filter: %s", body)
	}
	_, _, body = do(t, s, "GET", "/api/v7.0/snapshots/$last", s.Token, "")
	if !strings.Contains(body, `"id":"c"`) {
		t.Fatalf("$last: %s", body)
	}
	_, _, body = do(t, s, "GET", "/api/v7.0/snapshots", s.Token, "")
	var list []map[string]any
	if err := json.Unmarshal([]byte(body), &list); err != nil || len(list) != 4 || list[3]["tsEnd"] != nil {
		t.Fatalf("snapshots list: %s", body)
	}
}

func TestFaults(t *testing.T) {
	s := Start(t, Options{})
	s.SetFault(RouteMe, Fault{Status: 500, EchoHeaders: true, Times: 2})
	for i := 0; i < 2; i++ {
		st, _, body := do(t, s, "GET", "/api/v7.0/users/me", s.Token, "")
		if st != 500 || !strings.Contains(body, "X-Api-Token: "+s.Token) {
			t.Fatalf("fault %d: %d %s", i, st, body)
		}
	}
	if st, _, _ := do(t, s, "GET", "/api/v7.0/users/me", s.Token, ""); st != 200 {
		t.Fatalf("after Times the fault is gone: %d", st)
	}
	if s.Count(RouteMe) != 3 || s.Conns() == 0 {
		t.Fatalf("count %d, conns %d", s.Count(RouteMe), s.Conns())
	}
}
