// note_interop: the independent side of tests/integration/test_interop_note.sh.
// Signs and verifies C2SP signed notes with golang.org/x/mod/sumdb/note and
// formats/parses tree notes with golang.org/x/mod/sumdb/tlog.  The Go
// package has no tlog-cosignature support, so this file implements
// cosignature v1 (key type 0x04) itself, from the C2SP text, as a
// note.Signer / note.Verifier.
//
//	note_interop keygen NAME          print skey and vkey (note.GenerateKey)
//	note_interop vkey SKEY            verifier key for a private key
//	note_interop sign [-t TS] SKEY... sign stdin (note.Sign)
//	note_interop verify VKEY...       note.Open stdin, print the text
//	note_interop tree-format N ROOT   tlog.FormatTree
//	note_interop tree-parse           tlog.ParseTree stdin, print N and root
//
// Build: GO111MODULE=off GOPATH=/usr/share/gocode go build
package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const algCosigV1 = 4

func keyID(name string, alg byte, pub []byte) uint32 {
	h := sha256.New()
	h.Write([]byte(name + "\n"))
	h.Write([]byte{alg})
	h.Write(pub)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// splitKey splits "name+hash+base64" (after any PRIVATE+KEY+ prefix).
func splitKey(s string) (name string, hash uint32, key []byte, err error) {
	parts := strings.SplitN(s, "+", 3)
	if len(parts) != 3 || len(parts[1]) != 8 {
		return "", 0, nil, errors.New("malformed key")
	}
	h, err := strconv.ParseUint(parts[1], 16, 32)
	if err != nil {
		return "", 0, nil, err
	}
	key, err = base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(key) != 33 {
		return "", 0, nil, errors.New("malformed key data")
	}
	return parts[0], uint32(h), key, nil
}

type cosigner struct {
	name string
	hash uint32
	priv ed25519.PrivateKey
	ts   uint64
}

func (c *cosigner) Name() string    { return c.name }
func (c *cosigner) KeyHash() uint32 { return c.hash }
func (c *cosigner) Sign(msg []byte) ([]byte, error) {
	m := append([]byte(fmt.Sprintf("cosignature/v1\ntime %d\n", c.ts)), msg...)
	out := make([]byte, 8, 8+ed25519.SignatureSize)
	binary.BigEndian.PutUint64(out, c.ts)
	return append(out, ed25519.Sign(c.priv, m)...), nil
}

type coverifier struct {
	name string
	hash uint32
	pub  ed25519.PublicKey
}

func (c *coverifier) Name() string    { return c.name }
func (c *coverifier) KeyHash() uint32 { return c.hash }
func (c *coverifier) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	ts := binary.BigEndian.Uint64(sig)
	if ts > 1<<63-1 {
		return false
	}
	if strings.Count(string(msg), "\n") < 3 {
		return false
	}
	m := append([]byte(fmt.Sprintf("cosignature/v1\ntime %d\n", ts)), msg...)
	return ed25519.Verify(c.pub, m, sig[8:])
}

func newSigner(skey string, ts uint64) (note.Signer, error) {
	if s, err := note.NewSigner(skey); err == nil {
		return s, nil
	}
	if !strings.HasPrefix(skey, "PRIVATE+KEY+") {
		return nil, errors.New("not a private key")
	}
	name, hash, key, err := splitKey(strings.TrimPrefix(skey, "PRIVATE+KEY+"))
	if err != nil {
		return nil, err
	}
	if key[0] != algCosigV1 {
		return nil, errors.New("note.NewSigner rejected the key")
	}
	priv := ed25519.NewKeyFromSeed(key[1:])
	if keyID(name, algCosigV1, priv.Public().(ed25519.PublicKey)) != hash {
		return nil, errors.New("bad key hash")
	}
	return &cosigner{name, hash, priv, ts}, nil
}

func newVerifier(vkey string) (note.Verifier, error) {
	if v, err := note.NewVerifier(vkey); err == nil {
		return v, nil
	}
	name, hash, key, err := splitKey(vkey)
	if err != nil {
		return nil, err
	}
	if key[0] != algCosigV1 || keyID(name, algCosigV1, key[1:]) != hash {
		return nil, errors.New("note.NewVerifier rejected the key")
	}
	return &coverifier{name, hash, ed25519.PublicKey(key[1:])}, nil
}

func die(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "note_interop: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) < 2 {
		die("usage: keygen|vkey|sign|verify|tree-format|tree-parse")
	}
	args := os.Args[2:]
	switch os.Args[1] {
	case "keygen":
		skey, vkey, err := note.GenerateKey(rand.Reader, args[0])
		if err != nil {
			die("%v", err)
		}
		fmt.Printf("%s\n%s\n", skey, vkey)
	case "vkey":
		if _, err := note.NewSigner(args[0]); err != nil {
			die("NewSigner: %v", err)
		}
		name, _, key, err := splitKey(strings.TrimPrefix(args[0], "PRIVATE+KEY+"))
		if err != nil {
			die("%v", err)
		}
		priv := ed25519.NewKeyFromSeed(key[1:])
		v, err := note.NewEd25519VerifierKey(name, priv.Public().(ed25519.PublicKey))
		if err != nil {
			die("%v", err)
		}
		fmt.Println(v)
	case "sign":
		var ts uint64
		if len(args) >= 2 && args[0] == "-t" {
			t, err := strconv.ParseUint(args[1], 10, 64)
			if err != nil {
				die("%v", err)
			}
			ts, args = t, args[2:]
		}
		var signers []note.Signer
		for _, k := range args {
			s, err := newSigner(k, ts)
			if err != nil {
				die("%v", err)
			}
			signers = append(signers, s)
		}
		text, err := io.ReadAll(os.Stdin)
		if err != nil {
			die("%v", err)
		}
		msg, err := note.Sign(&note.Note{Text: string(text)}, signers...)
		if err != nil {
			die("Sign: %v", err)
		}
		os.Stdout.Write(msg)
	case "verify":
		var vs []note.Verifier
		for _, k := range args {
			v, err := newVerifier(k)
			if err != nil {
				die("%v", err)
			}
			vs = append(vs, v)
		}
		msg, err := io.ReadAll(os.Stdin)
		if err != nil {
			die("%v", err)
		}
		n, err := note.Open(msg, note.VerifierList(vs...))
		if err != nil {
			die("Open: %v", err)
		}
		os.Stdout.WriteString(n.Text)
		fmt.Fprintf(os.Stderr, "verified %d unverified %d\n", len(n.Sigs),
			len(n.UnverifiedSigs))
	case "tree-format":
		n, err := strconv.ParseInt(args[0], 10, 64)
		if err != nil {
			die("%v", err)
		}
		h, err := tlog.ParseHash(args[1])
		if err != nil {
			die("%v", err)
		}
		os.Stdout.Write(tlog.FormatTree(tlog.Tree{N: n, Hash: h}))
	case "tree-parse":
		text, err := io.ReadAll(os.Stdin)
		if err != nil {
			die("%v", err)
		}
		t, err := tlog.ParseTree(text)
		if err != nil {
			die("ParseTree: %v", err)
		}
		fmt.Printf("%d %s\n", t.N, t.Hash)
	default:
		die("unknown command %s", os.Args[1])
	}
}
