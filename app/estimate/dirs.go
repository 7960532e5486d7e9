package estimate

import "strings"

// DataSync lists an S3 location directory by directory: "DataSync makes at least
// one LIST request for every object ending in a forward slash (/) to list the
// objects that start with that prefix" (DataSync user guide, "Evaluating S3 request
// costs when using DataSync", create-s3-location.html#create-s3-location-s3-requests-made).
// A ListObjectsV2 page with a delimiter returns at most 1,000 entries, objects and
// common prefixes together, so a directory costs max(1, ceil(entries / 1,000))
// requests, where its entries are the objects directly in it (its folder object
// included) and its immediate subdirectories.
//
// dirPages counts those requests from a listing whose keys arrive in key order
// within each partition of the key space (listing.Pair.Partition). A directory's keys
// are one contiguous range of the key order, so each partition keeps a stack of the
// directories of its current key (memory: the depth of the key, per partition).
// A directory that is still open at either end of a partition may continue in the
// neighbouring partition: its entries are summed across partitions by path (a few
// directories per partition), which keeps the count exact.
type dirPages struct {
	perPage  int64
	parts    map[int]*dirStack
	boundary map[string]int64 // entries of directories open at a partition's end
	pages    int64            // requests of the directories closed inside a partition
	dirs     int64            // directories closed inside a partition
	keys     int64
}

type dirFrame struct {
	path     string
	entries  int64
	boundary bool // open at the partition's start: may span partitions
}

type dirStack struct{ frames []dirFrame }

func newDirPages(perPage int64) *dirPages {
	return &dirPages{perPage: perPage, parts: map[int]*dirStack{}, boundary: map[string]int64{}}
}

func (c *dirPages) pagesOf(entries int64) int64 { return max(1, (entries+c.perPage-1)/c.perPage) }

// add counts key (relative to the location), listed in partition.
func (c *dirPages) add(partition int, key string) {
	c.keys++
	st := c.parts[partition]
	if st == nil {
		st = &dirStack{}
		c.parts[partition] = st
	}
	// the directories of key, root ("") first
	chain := []string{""}
	for i := 0; i < len(key); i++ {
		if key[i] == '/' {
			chain = append(chain, key[:i+1])
		}
	}
	if len(st.frames) == 0 {
		for _, p := range chain {
			st.frames = append(st.frames, dirFrame{path: p, boundary: true})
		}
	} else {
		k := 0
		for k < len(st.frames) && k < len(chain) && st.frames[k].path == chain[k] {
			k++
		}
		for len(st.frames) > k {
			c.pop(st)
		}
		for _, p := range chain[k:] {
			st.frames = append(st.frames, dirFrame{path: p})
		}
	}
	// the object is an entry of its directory; a folder object ("a/b/") is an entry
	// of its own directory too: ListObjectsV2 with the prefix "a/b/" returns it
	st.frames[len(st.frames)-1].entries++
}

// pop closes the innermost directory of st.
func (c *dirPages) pop(st *dirStack) {
	f := st.frames[len(st.frames)-1]
	st.frames = st.frames[:len(st.frames)-1]
	if f.boundary {
		c.boundary[f.path] += f.entries
		return
	}
	c.pages += c.pagesOf(f.entries)
	c.dirs++
	if len(st.frames) > 0 {
		st.frames[len(st.frames)-1].entries++ // the subdirectory is an entry of its parent
	}
}

// total is the LIST requests and directories of everything added.
func (c *dirPages) total() (pages, dirs int64) {
	for _, st := range c.parts {
		for _, f := range st.frames {
			c.boundary[f.path] += f.entries // open at the partition's end
		}
		st.frames = nil
	}
	if _, ok := c.boundary[""]; !ok && c.keys == 0 {
		c.boundary[""] = 0 // an empty location is still listed once
	}
	// a directory summed across partitions is one entry of its parent
	for p := range c.boundary {
		if p == "" {
			continue
		}
		parent := p[:strings.LastIndex(p[:len(p)-1], "/")+1]
		c.boundary[parent]++
	}
	pages, dirs = c.pages, c.dirs
	for _, e := range c.boundary {
		pages += c.pagesOf(e)
		dirs++
	}
	c.boundary = map[string]int64{}
	c.pages, c.dirs = pages, dirs
	return pages, dirs
}
