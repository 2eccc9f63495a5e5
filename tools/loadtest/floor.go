package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"sync/atomic"

	_ "github.com/mattn/go-sqlite3"
)

// The durable floor is the least a receiver can do and still answer only
// what is on disk: check the HMAC, then commit the raw body with one INSERT,
// through one writer goroutine that group-commits whatever is waiting, with
// ipfwatch's SQLite settings (WAL, synchronous=FULL, one write connection).
// It has no parsing, no de-duplication, no savepoints and no indexes, so no
// durable receiver on this machine can be faster; ipfwatch is judged against
// it. It shares no code with ipfwatch's store on purpose.

type floorReq struct {
	body  []byte
	reply chan error
}

type floor struct {
	db   *sql.DB
	reqs chan floorReq
	done chan struct{}
	// commits and writes, for its batch size beside ipfwatch's.
	commits, writes atomic.Int64
}

func openFloor(dir string) (*floor, error) {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "FULL")
	q.Set("_busy_timeout", "10000")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite3", "file:"+filepath.ToSlash(filepath.Join(dir, "floor.db"))+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open floor db: %w", err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS deliveries (id INTEGER PRIMARY KEY, body BLOB NOT NULL)`); err != nil {
		db.Close()
		return nil, fmt.Errorf("create floor table: %w", err)
	}
	f := &floor{db: db, reqs: make(chan floorReq, 256), done: make(chan struct{})}
	go f.writer()
	return f, nil
}

func (f *floor) writer() {
	defer close(f.done)
	ins, err := f.db.Prepare(`INSERT INTO deliveries (body) VALUES (?)`)
	if err != nil {
		for r := range f.reqs {
			r.reply <- err
		}
		return
	}
	defer ins.Close()
	for first := range f.reqs {
		batch := []floorReq{first}
	drain:
		for len(batch) < 256 {
			select {
			case r, ok := <-f.reqs:
				if !ok {
					break drain
				}
				batch = append(batch, r)
			default:
				break drain
			}
		}
		errs := make([]error, len(batch))
		tx, err := f.db.Begin()
		if err == nil {
			st := tx.Stmt(ins)
			for i, r := range batch {
				_, errs[i] = st.Exec(r.body)
			}
			err = tx.Commit()
		}
		if err == nil {
			f.commits.Add(1)
			f.writes.Add(int64(len(batch)))
		}
		for i, r := range batch {
			if err != nil {
				errs[i] = err
			}
			r.reply <- errs[i]
		}
	}
}

func (f *floor) insert(body []byte) error {
	r := floorReq{body: body, reply: make(chan error, 1)}
	f.reqs <- r
	return <-r.reply
}

func (f *floor) close() error {
	close(f.reqs)
	<-f.done
	return f.db.Close()
}

// startFloor serves the durable floor on a loopback port.
func startFloor(dir string) (string, *floor, func(), error) {
	f, err := openFloor(dir)
	if err != nil {
		return "", nil, nil, err
	}
	key := []byte(secret)
	srv, addr, err := serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := checkHMAC(w, r, key)
		if !ok {
			return
		}
		if err := f.insert(body); err != nil {
			http.Error(w, `{"result":"Store unavailable"}`, http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"result":"ok"}`)
	}))
	if err != nil {
		f.close()
		return "", nil, nil, err
	}
	return addr, f, func() { srv.Close(); f.close() }, nil
}

// startBare serves the smallest honest webhook receiver: read the body,
// check the HMAC, answer. It stores nothing.
func startBare() (string, func(), error) {
	key := []byte(secret)
	srv, addr, err := serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := checkHMAC(w, r, key); !ok {
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"result":"ok"}`)
	}))
	if err != nil {
		return "", nil, err
	}
	return addr, func() { srv.Close() }, nil
}

// checkHMAC reads at most 1 MiB and checks X-IPF-Signature over it,
// answering 413 or 400 itself when that fails.
func checkHMAC(w http.ResponseWriter, r *http.Request, key []byte) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		http.Error(w, `{"result":"Payload too large"}`, http.StatusRequestEntityTooLarge)
		return nil, false
	}
	got, err := hex.DecodeString(r.Header.Get("X-IPF-Signature"))
	m := hmac.New(sha256.New, key)
	m.Write(body)
	if err != nil || !hmac.Equal(got, m.Sum(nil)) {
		http.Error(w, `{"result":"Invalid message signature"}`, http.StatusBadRequest)
		return nil, false
	}
	return body, true
}

func serve(h http.Handler) (*http.Server, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	return srv, "http://" + ln.Addr().String() + "/ipfabric", nil
}
