package paging

import (
	"slices"
	"testing"
)

func id(r int64) int64 { return r }

func TestAppendOlder(t *testing.T) {
	tests := []struct {
		name      string
		rows      []int64
		page      []int64
		want      []int64
		wantShort bool
	}{
		{"full page", []int64{9, 8}, []int64{7, 6, 5}, []int64{9, 8, 7, 6, 5}, false},
		{"short page", []int64{9, 8}, []int64{7}, []int64{9, 8, 7}, true},
		{"repeats skipped", []int64{9, 8}, []int64{8, 7, 7}, []int64{9, 8, 7}, false},
		{"empty page", []int64{9}, nil, []int64{9}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, short := AppendOlder(tt.rows, tt.page, id, 3)
			if !slices.Equal(got, tt.want) || short != tt.wantShort {
				t.Errorf("AppendOlder = %v, %v; want %v, %v", got, short, tt.want, tt.wantShort)
			}
		})
	}
}

func TestNewOnTop(t *testing.T) {
	tests := []struct {
		name    string
		rows    []int64
		fresh   []int64
		wantN   int
		wantGap bool
	}{
		{"nothing new", []int64{9, 8}, []int64{9, 8}, 0, false},
		{"two new", []int64{9, 8}, []int64{11, 10, 9}, 2, false},
		{"a whole page new", []int64{9, 8}, []int64{14, 13, 12}, 3, true},
		{"short page all new", []int64{9}, []int64{11, 10}, 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, gap := NewOnTop(tt.rows, tt.fresh, id, 3)
			if n != tt.wantN || gap != tt.wantGap {
				t.Errorf("NewOnTop = %d, %v; want %d, %v", n, gap, tt.wantN, tt.wantGap)
			}
		})
	}
}
