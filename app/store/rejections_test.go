package store

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/ipfwatch/ipfwatch/listener/webhook"
)

func TestRejectionRoundTrip(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	big := bytes.Repeat([]byte("A"), 5000)
	for _, c := range []struct {
		name string
		in   webhook.Rejection
		want webhook.Rejection
	}{
		{
			name: "signature failure",
			in: webhook.Rejection{
				ReceivedAt: base, RemoteAddr: "10.0.0.7:5555", Method: "POST", Path: "/ipfabric",
				UserAgent: "curl/8.5", Size: 123, Status: 400, Reason: "Invalid message signature",
				Hint: "uppercase hex", Signature: "ABCDEF", BodySHA256: "00ff",
				BodyPreview: []byte("{\"type\":\"snapshot\"}\x00"),
				Headers: map[string]string{
					"Content-Type": "application/json", "X-Ipf-Signature": "ABCDEF",
					"authorization": "Basic c2VjcmV0", "Cookie": "s=1", "Proxy-Authorization": "x",
				},
			},
			want: webhook.Rejection{
				ReceivedAt: base, RemoteAddr: "10.0.0.7:5555", Method: "POST", Path: "/ipfabric",
				UserAgent: "curl/8.5", Size: 123, Status: 400, Reason: "Invalid message signature",
				Hint: "uppercase hex", Signature: "ABCDEF", BodySHA256: "00ff",
				BodyPreview: []byte("{\"type\":\"snapshot\"}\x00"),
				// Credentials are dropped, whatever the listener passed on.
				Headers: map[string]string{"Content-Type": "application/json", "X-Ipf-Signature": "ABCDEF"},
			},
		},
		{
			name: "oversized body, preview capped",
			in:   webhook.Rejection{ReceivedAt: base, Method: "POST", Path: "/ipfabric", Size: 1 << 20, Status: 413, Reason: "body too large", BodyPreview: big},
			want: webhook.Rejection{ReceivedAt: base, Method: "POST", Path: "/ipfabric", Size: 1 << 20, Status: 413, Reason: "body too large", BodyPreview: big[:maxPreview]},
		},
		{
			name: "nothing but a reason",
			in:   webhook.Rejection{ReceivedAt: base, Reason: "method not allowed"},
			want: webhook.Rejection{ReceivedAt: base, Reason: "method not allowed"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			id, err := s.InsertRejection(ctx, c.in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.GetRejection(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			c.want.ID = id
			got.ReceivedAt, c.want.ReceivedAt = got.ReceivedAt.UTC(), c.want.ReceivedAt.UTC()
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("GetRejection =\n%+v\nwant\n%+v", got, c.want)
			}
		})
	}
	if _, err := s.GetRejection(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetRejection(missing) = %v, want ErrNotFound", err)
	}
}

func TestListRejections(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	var ids []int64
	for i := range 250 {
		id, err := s.InsertRejection(ctx, webhook.Rejection{ReceivedAt: base.Add(time.Duration(i) * time.Minute), Reason: "x"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	slices.Reverse(ids)
	for _, c := range []struct {
		name string
		f    RejectionFilter
		want []int64
	}{
		{"all", RejectionFilter{Limit: 1000}, ids},
		{"default limit", RejectionFilter{}, ids[:defaultLimit]},
		{"since", RejectionFilter{Since: base.Add(200 * time.Minute), Limit: 1000}, ids[:50]},
		{"page", RejectionFilter{BeforeID: ids[9], Limit: 5}, ids[10:15]},
	} {
		rows, err := s.ListRejections(ctx, c.f)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, r := range rows {
			got = append(got, r.ID)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: got %d ids %v..., want %d %v...", c.name, len(got), head(got), len(c.want), head(c.want))
		}
	}
}
