// daemon_tiles verifies a running pubtraild with golang.org/x/mod/sumdb
// (tlog and note), unchanged: an implementation nobody here wrote.
//
// usage: daemon_tiles BASE_URL VERIFIER_KEY [tiles-only]
//
// With "tiles-only" (a static mirror, which serves no proof routes) the
// inclusion and consistency proofs are computed by tlog.ProveRecord and
// tlog.ProveTree from the tiles instead of fetched, then checked the same
// way.
//
// It fetches /checkpoint and verifies it with sumdb/note, reads hash tiles
// through tlog.TileHashReader (which checks every tile it reads against the
// checkpoint's tree hash), recomputes the tree hash with tlog.TreeHash,
// checks every entry bundle's entries against the level-0 tiles with
// tlog.RecordHash, and checks inclusion and consistency proofs served by
// the log with tlog.CheckRecord / tlog.CheckTree.  Exit 0 when all hold.
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const height = 8

var base string

func get(path string, hdr map[string]string) []byte {
	req, err := http.NewRequest("GET", base+path, nil)
	if err != nil {
		fail("request %s: %v", path, err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fail("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		fail("GET %s: status %d %v: %s", path, resp.StatusCode, err, b)
	}
	return b
}

func fail(f string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "daemon_tiles: FAIL: "+f+"\n", a...)
	os.Exit(1)
}

// c2spPath turns Go's "tile/8/L/NNN[.p/W]" into C2SP's "tile/L/NNN[.p/W]".
func c2spPath(t tlog.Tile) string {
	p := t.Path()
	pre := fmt.Sprintf("tile/%d/", height)
	if !strings.HasPrefix(p, pre) {
		fail("unexpected Go tile path %s", p)
	}
	return "tile/" + p[len(pre):]
}

type tileReader struct{ n int }

func (r *tileReader) Height() int { return height }

func (r *tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		out[i] = get("/"+c2spPath(t), nil)
		r.n++
	}
	return out, nil
}

func (r *tileReader) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

func main() {
	if len(os.Args) != 3 && (len(os.Args) != 4 || os.Args[3] != "tiles-only") {
		fail("usage: daemon_tiles BASE_URL VERIFIER_KEY [tiles-only]")
	}
	tilesOnly := len(os.Args) == 4
	base = strings.TrimRight(os.Args[1], "/")
	v, err := note.NewVerifier(os.Args[2])
	if err != nil {
		fail("verifier key: %v", err)
	}
	raw := get("/checkpoint", nil)
	n, err := note.Open(raw, note.VerifierList(v))
	if err != nil {
		fail("checkpoint does not verify with sumdb/note: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[0] != v.Name() {
		fail("checkpoint body: %q", n.Text)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("size: %v", err)
	}
	rootb, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(rootb) != 32 {
		fail("root: %v", err)
	}
	var tree tlog.Tree
	tree.N = size
	copy(tree.Hash[:], rootb)

	tr := &tileReader{}
	hr := tlog.TileHashReader(tree, tr)
	th, err := tlog.TreeHash(size, hr)
	if err != nil || th != tree.Hash {
		fail("tree hash from tiles: %v (%v vs %v)", err, th, tree.Hash)
	}

	// Entry bundles against level-0 hash tiles.
	for start := int64(0); start < size; start += 256 {
		w := size - start
		if w > 256 {
			w = 256
		}
		t := tlog.Tile{H: height, L: 0, N: start / 256, W: int(w)}
		hashes := get("/"+c2spPath(t), nil)
		bp := "/" + strings.Replace(c2spPath(t), "tile/0/", "tile/entries/", 1)
		bundle := get(bp, nil)
		for i := int64(0); i < w; i++ {
			if len(bundle) < 2 {
				fail("bundle %s truncated", bp)
			}
			l := int(binary.BigEndian.Uint16(bundle))
			if len(bundle) < 2+l {
				fail("bundle %s truncated", bp)
			}
			e := bundle[2 : 2+l]
			bundle = bundle[2+l:]
			h := tlog.RecordHash(e)
			if !bytes.Equal(h[:], hashes[32*i:32*i+32]) {
				fail("entry %d: record hash differs from tile", start+i)
			}
		}
		if len(bundle) != 0 {
			fail("bundle %s has trailing bytes", bp)
		}
	}

	// Proofs served by the log, checked by tlog.
	for _, idx := range []int64{0, size / 3, size / 2, size - 1} {
		if idx < 0 || idx >= size {
			continue
		}
		var p struct {
			Index int64    `json:"index"`
			Size  int64    `json:"size"`
			Proof []string `json:"proof"`
		}
		if !tilesOnly {
			b := get(fmt.Sprintf("/proof/inclusion?index=%d&size=%d", idx, size),
				map[string]string{"Accept": "application/json"})
			if err := json.Unmarshal(b, &p); err != nil {
				fail("inclusion json: %v", err)
			}
		}
		var rp tlog.RecordProof
		if tilesOnly {
			if rp, err = tlog.ProveRecord(size, idx, hr); err != nil {
				fail("ProveRecord %d: %v", idx, err)
			}
			p.Proof = nil
		}
		for _, s := range p.Proof {
			hb, _ := base64.StdEncoding.DecodeString(s)
			var h tlog.Hash
			copy(h[:], hb)
			rp = append(rp, h)
		}
		lh, err := hr.ReadHashes([]int64{tlog.StoredHashIndex(0, idx)})
		if err != nil {
			fail("leaf hash: %v", err)
		}
		if err := tlog.CheckRecord(rp, size, tree.Hash, idx, lh[0]); err != nil {
			fail("inclusion proof for %d: %v", idx, err)
		}
	}
	for _, old := range []int64{1, size / 2, size - 1} {
		if old < 1 || old >= size {
			continue
		}
		var p struct {
			Proof []string `json:"proof"`
		}
		var tp tlog.TreeProof
		if tilesOnly {
			if tp, err = tlog.ProveTree(size, old, hr); err != nil {
				fail("ProveTree %d->%d: %v", old, size, err)
			}
		} else {
			b := get(fmt.Sprintf("/proof/consistency?old=%d&new=%d", old, size),
				map[string]string{"Accept": "application/json"})
			if err := json.Unmarshal(b, &p); err != nil {
				fail("consistency json: %v", err)
			}
		}
		for _, s := range p.Proof {
			hb, _ := base64.StdEncoding.DecodeString(s)
			var h tlog.Hash
			copy(h[:], hb)
			tp = append(tp, h)
		}
		oh, err := tlog.TreeHash(old, hr)
		if err != nil {
			fail("old tree hash: %v", err)
		}
		if err := tlog.CheckTree(tp, size, tree.Hash, old, oh); err != nil {
			fail("consistency proof %d->%d: %v", old, size, err)
		}
	}
	mode := "proofs served by the log"
	if tilesOnly {
		mode = "proofs computed from the tiles"
	}
	fmt.Printf("daemon_tiles: ok: size %d, %d tiles read and verified by golang.org/x/mod/sumdb/tlog, %s\n", size, tr.n, mode)
}
