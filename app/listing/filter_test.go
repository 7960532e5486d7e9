package listing

import (
	"strings"
	"testing"
)

// The examples of the DataSync user guide, "Filtering data transferred by AWS
// DataSync" (awsdocs/aws-datasync-user-guide doc_source/filtering.md), each with
// keys relative to the source location that it must and must not select.
func TestFilterDataSyncExamples(t *testing.T) {
	cases := []struct {
		name               string
		includes, excludes []string
		in, out            []string
	}{{
		name:     "exclude temporary folders at any level: '*/temp|*/tmp'",
		excludes: []string{"*/temp|*/tmp"},
		in:       []string{"a.txt", "work/a.txt", "temperature/a.txt", "work/tmpfile"},
		out:      []string{"temp/a.txt", "work/temp/a.txt", "a/b/tmp/c/d.bin", "tmp"},
	}, {
		name:     "NetApp backup folders: '*/.snapshot'",
		excludes: []string{"*/.snapshot"},
		in:       []string{"vol/data.db", "vol/.snapshots/x"},
		out:      []string{".snapshot/hourly.0/f", "vol/.snapshot/daily/f"},
	}, {
		name:     "top-level folders only: '/top-level-folder-to-exclude-1|/top-level-folder-to-exclude-2'",
		excludes: []string{"/top-level-folder-to-exclude-1|/top-level-folder-to-exclude-2"},
		in:       []string{"keep/top-level-folder-to-exclude-1/f", "top-level-folder-to-exclude-10/f"},
		out:      []string{"top-level-folder-to-exclude-1/f", "top-level-folder-to-exclude-2/deep/f", "top-level-folder-to-exclude-2"},
	}, {
		name:     "include a folder's content: '/folder-to-transfer/*'",
		includes: []string{"/folder-to-transfer/*"},
		in:       []string{"folder-to-transfer/a", "folder-to-transfer/sub/b"},
		out:      []string{"other/a", "folder-to-transfer-2/a", "a"},
	}, {
		name:     "exclude a file type: '*.temp'",
		excludes: []string{"*.temp"},
		in:       []string{"a.tmp", "a.temperature", "a.temp.keep"},
		out:      []string{"a.temp", "dir/b.temp", "x.temp/inside"},
	}, {
		name:     "individual files: '/folder/subfolder/file1.txt|/folder/subfolder/file2.txt'",
		includes: []string{"/folder/subfolder/file1.txt|/folder/subfolder/file2.txt"},
		in:       []string{"folder/subfolder/file1.txt", "folder/subfolder/file2.txt"},
		out:      []string{"folder/subfolder/file3.txt", "folder/subfolder/file1.txt.bak", "file1.txt"},
	}, {
		name:     "include folders: '/important_folder_1|/important_folder_2'",
		includes: []string{"/important_folder_1|/important_folder_2"},
		in:       []string{"important_folder_1/a", "important_folder_2/b/c"},
		out:      []string{"important_folder_3/a", "x/important_folder_1/a"},
	}, {
		name:     "'/dir' and '/dir/' are the same pattern",
		includes: []string{"/transfer_this/"},
		in:       []string{"transfer_this/a", "transfer_this/b/c"},
		out:      []string{"transfer_this_not/a", "a"},
	}, {
		name:     "a rightmost wildcard in an include: '/documents*|/code*'",
		includes: []string{"/documents*", "/code*"},
		in:       []string{"documents/a", "documents2024/a", "code.zip"},
		out:      []string{"src/code/a", "Documents/a"},
	}, {
		name:     "exclude wins over include",
		includes: []string{"/photos"},
		excludes: []string{"*.tmp"},
		in:       []string{"photos/a.jpg"},
		out:      []string{"photos/a.tmp", "videos/a.mp4"},
	}, {
		name:     "filters are case sensitive: /folderA does not match /FolderA",
		excludes: []string{"/folderA"},
		in:       []string{"FolderA/x"},
		out:      []string{"folderA/x"},
	}, {
		name:     "escaped wildcard and pipe",
		excludes: []string{`/a\*b|/c\|d`},
		in:       []string{"axxb", "c"},
		out:      []string{"a*b", "c|d/e"},
	}, {
		name:     "keys with spaces, unicode and +",
		includes: []string{"/Fotos 2024/*", "/café*"},
		in:       []string{"Fotos 2024/a b+c.jpg", "café/ü.txt"},
		out:      []string{"Fotos+2024/a.jpg", "cafe/x"},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := NewFilter(c.includes, c.excludes)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range c.in {
				if !f.Match(k) {
					t.Errorf("%q is filtered out; DataSync transfers it", k)
				}
			}
			for _, k := range c.out {
				if f.Match(k) {
					t.Errorf("%q passes the filter; DataSync does not transfer it", k)
				}
			}
		})
	}
}

func TestFilterNilMatchesEverything(t *testing.T) {
	var f *Filter
	if !f.Match("anything/at/all") {
		t.Fatal("a nil filter filtered a key out")
	}
}

func TestFilterBadPatternsAllReported(t *testing.T) {
	_, err := NewFilter([]string{"/a||/b"}, []string{`/c\`})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{`task.includes[0]: ""`, "is empty", `task.excludes[0]: "/c\\"`, "escape"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}
