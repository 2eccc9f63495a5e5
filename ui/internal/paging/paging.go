// Package paging holds the keyset paging that the Events and Signature
// failures tables share: rows come newest first, a page at a time, and the
// next page is the rows before the oldest loaded id. The two views keep
// their own state and queries; this package is the folding of a page into
// what is loaded, which must be the same in both so neither shows a row
// twice or leaves a gap.
package paging

// AppendOlder appends to rows, in order, the rows of page that are older
// (lower id) than rows' last; a row the page repeats is skipped. It reports
// whether the page was short, so nothing older is left to fetch. rows must
// not be empty.
func AppendOlder[R any](rows, page []R, id func(R) int64, pageSize int) ([]R, bool) {
	last := id(rows[len(rows)-1])
	for _, r := range page {
		if id(r) < last {
			rows = append(rows, r)
			last = id(r)
		}
	}
	return rows, len(page) < pageSize
}

// NewOnTop counts the rows at the head of fresh (a newest-first first
// page) that are newer than rows' first, and says whether they fill the
// whole page: then there may be a gap between them and what is loaded, and
// the view must start over from fresh. rows must not be empty.
func NewOnTop[R any](rows, fresh []R, id func(R) int64, pageSize int) (n int, gap bool) {
	top := id(rows[0])
	for n < len(fresh) && id(fresh[n]) > top {
		n++
	}
	return n, n == len(fresh) && len(fresh) == pageSize
}
