// mt_vectors: the reference side of tests/integration/test_interop_tree.sh.
//
// Builds a tree of 70,000 deterministic leaves with golang.org/x/mod/sumdb/tlog
// (an implementation of RFC 6962 trees and tiles that pubtrail did not
// write) and prints roots, inclusion and consistency proofs, hash tiles
// (height 8) and entry bundles in a line format that tests/tools/mt_dump.c
// prints from pubtrail's proto/mt.c and proto/tile.c.  The two outputs must
// be byte-identical.
//
// Go's tile paths carry the tile height ("tile/8/0/001"); C2SP tlog-tiles
// paths do not ("tile/0/001"), so the height is removed here.  Entry bundles
// (C2SP only) are encoded here by hand: big-endian uint16 length, then bytes.
//
// Build: GO111MODULE=off GOPATH=/usr/share/gocode go build
package main

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

const total = 70000

// leaf returns the data of leaf i: "leaf <i>;" repeated i%4 times (so every
// fourth leaf is empty).  mt_dump.c uses the same definition.
func leaf(i int64) []byte {
	return []byte(strings.Repeat(fmt.Sprintf("leaf %d;", i), int(i%4)))
}

var stored []tlog.Hash

var reader = tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x < 0 || x >= int64(len(stored)) {
			return nil, fmt.Errorf("stored hash %d not present", x)
		}
		out[i] = stored[x]
	}
	return out, nil
})

func join(p []tlog.Hash) string {
	s := make([]string, len(p))
	for i, h := range p {
		s[i] = hex.EncodeToString(h[:])
	}
	return strings.Join(s, ",")
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "mt_vectors:", err)
		os.Exit(1)
	}
}

func main() {
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()

	for i := int64(0); i < total; i++ {
		hs, err := tlog.StoredHashes(i, leaf(i), reader)
		check(err)
		stored = append(stored, hs...)
	}

	// Roots: every size to 1000, then sizes around tile boundaries.
	rootSizes := []int64{}
	for n := int64(1); n <= 1000; n++ {
		rootSizes = append(rootSizes, n)
	}
	rootSizes = append(rootSizes, 4095, 4096, 4097, 65535, 65536, 65537,
		69999, 70000)
	for _, n := range rootSizes {
		h, err := tlog.TreeHash(n, reader)
		check(err)
		fmt.Fprintf(w, "root %d %s\n", n, hex.EncodeToString(h[:]))
	}

	// Inclusion and consistency proofs: every index / old size for the
	// small trees, a selection for the large one.
	small := []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 100, 255, 256,
		257, 511, 512, 513, 999, 1000}
	for _, n := range small {
		for i := int64(0); i < n; i++ {
			p, err := tlog.ProveRecord(n, i, reader)
			check(err)
			fmt.Fprintf(w, "incl %d %d %s\n", i, n, join(p))
		}
		for m := int64(1); m <= n; m++ {
			p, err := tlog.ProveTree(n, m, reader)
			check(err)
			fmt.Fprintf(w, "cons %d %d %s\n", m, n, join(p))
		}
	}
	big := []int64{0, 1, 255, 256, 12345, 65535, 65536, 69998, 69999}
	for _, i := range big {
		p, err := tlog.ProveRecord(total, i, reader)
		check(err)
		fmt.Fprintf(w, "incl %d %d %s\n", i, int64(total), join(p))
	}
	for _, m := range big[1:] {
		p, err := tlog.ProveTree(total, m, reader)
		check(err)
		fmt.Fprintf(w, "cons %d %d %s\n", m, int64(total), join(p))
		p, err = tlog.ProveTree(total, m+1, reader)
		check(err)
		fmt.Fprintf(w, "cons %d %d %s\n", m+1, int64(total), join(p))
	}

	// Hash tiles of height 8 for several tree sizes: every full tile and
	// the final partial tile of each level (NewTiles also lists the
	// intermediate widths of partial tiles; those are skipped).
	for _, size := range []int64{1, 2, 255, 256, 257, 1000, 65536, total} {
		for _, t := range tlog.NewTiles(8, 0, size) {
			count := size >> (8 * uint(t.L))
			if t.W != 256 && int64(t.W) != count%256 {
				continue
			}
			data, err := tlog.ReadTileData(t, reader)
			check(err)
			path := strings.Replace(t.Path(), "tile/8/", "tile/", 1)
			fmt.Fprintf(w, "tile %d %s %s\n", size, path,
				hex.EncodeToString(data))
		}
	}

	// Entry bundles, and a check that each entry hashes to its leaf.
	for _, size := range []int64{1, 4, 256, 1000} {
		for _, t := range tlog.NewTiles(8, 0, size) {
			if t.L != 0 || (t.W != 256 && int64(t.W) != size%256) {
				continue
			}
			var b []byte
			for i := int64(0); i < int64(t.W); i++ {
				n := t.N*256 + i
				d := leaf(n)
				b = binary.BigEndian.AppendUint16(b, uint16(len(d)))
				b = append(b, d...)
				if tlog.RecordHash(d) != stored[tlog.StoredHashIndex(0, n)] {
					check(fmt.Errorf("leaf %d hash", n))
				}
			}
			path := strings.Replace(t.Path(), "tile/8/0/", "tile/entries/", 1)
			fmt.Fprintf(w, "bundle %d %s %s\n", size, path,
				hex.EncodeToString(b))
		}
	}
}
