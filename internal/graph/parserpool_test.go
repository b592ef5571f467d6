package graph

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/valyala/fastjson"
)

// TestParserPoolSlot: what is put back is what the next Get returns,
// whatever goroutine asks, and a parser is never handed out twice at once.
func TestParserPoolSlot(t *testing.T) {
	var pp parserPool[fastjson.Parser]
	p := pp.Get()
	pp.Put(p)
	done := make(chan *fastjson.Parser)
	go func() { done <- pp.Get() }()
	if got := <-done; got != p {
		t.Fatalf("Get on another goroutine: a new parser, not the one put back")
	}
	if pp.Get() == p {
		t.Fatalf("a parser handed out twice")
	}

	var inUse sync.Map
	var twice atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				p := pp.Get()
				if _, loaded := inUse.LoadOrStore(p, true); loaded {
					twice.Add(1)
				}
				if _, err := p.Parse(`{"a":[1,2]}`); err != nil {
					t.Error(err)
				}
				inUse.Delete(p)
				pp.Put(p)
			}
		}()
	}
	wg.Wait()
	if n := twice.Load(); n > 0 {
		t.Fatalf("parsers handed out twice at once %d times", n)
	}
}

// TestPageParser: a page parser reads its biggest page (parsed twice) as
// any other, and one that parsed pageParserPages pages is not pooled again.
func TestPageParser(t *testing.T) {
	p := new(pageParser)
	for i, body := range []string{`{"data":[{"id":"1"}]}`, `{"data":[{"id":"1"},{"id":"2","x":[1,{"y":2}]}]}`, `{"data":[]}`} {
		items, next, err := decodePage(p, "/me/media", i+1, []byte(body))
		if err != nil || next != "" {
			t.Fatalf("page %d: %v %q", i+1, err, next)
		}
		if want := []int{1, 2, 0}[i]; len(items) != want {
			t.Fatalf("page %d: %d items, want %d", i+1, len(items), want)
		}
		if i == 1 && (string(items[1].GetStringBytes("id")) != "2" || items[1].GetInt("x", "1", "y") != 2) {
			t.Fatalf("page 2: items %v", items)
		}
	}
	if p.pages != 3 || p.biggest != len(`{"data":[{"id":"1"},{"id":"2","x":[1,{"y":2}]}]}`) {
		t.Fatalf("pages %d biggest %d", p.pages, p.biggest)
	}
	spent := &pageParser{pages: pageParserPages}
	spent.release()
	for range 4 {
		if q := pageParsers.Get(); q == spent {
			t.Fatal("a parser that parsed pageParserPages pages was pooled again")
		}
	}
	var none *pageParser
	none.release()
}
