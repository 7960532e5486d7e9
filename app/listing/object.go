// Package listing is the listing engine of the transfers command: it lists an S3
// location (bucket and prefix) in key order, in parallel partitions of the key space,
// applies DataSync's include and exclude filters exactly as DataSync does, and joins
// a source location with a destination location by the key relative to each
// location, with memory that does not grow with the number of objects. verify and
// estimate both use it; S3 Inventory reports feed the same join (inventory.go).
//
// Keys are relative to their location: a location with prefix "photos" holds the
// object "photos/2024/a.jpg" as "2024/a.jpg", so a source prefix maps onto a
// different destination prefix the way DataSync writes it.
package listing

import (
	"context"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Object is one object of a location, as a listing (ListObjectsV2 or an S3
// Inventory report) describes it.
type Object struct {
	// Key is the object's key relative to the location: the bucket key with the
	// location's prefix and its "/" removed.
	Key string
	// Size is the object's size in bytes.
	Size int64
	// ETag is the entity tag without its quotes. It is the MD5 of the content only
	// for a single-part upload without SSE-KMS (see SinglePartETag).
	ETag string
	// ChecksumAlgorithm and ChecksumType are what ListObjectsV2 reports (CRC64NVME,
	// CRC32, ...; FULL_OBJECT or COMPOSITE); "" when unknown.
	ChecksumAlgorithm string
	ChecksumType      string
	// Checksum is the stored checksum value (base64, as HeadObject returns it), when
	// a HeadObject read it; "" otherwise (listings do not return values).
	Checksum string
	// StorageClass is S3's storage class name (STANDARD, GLACIER, ...); "" means
	// STANDARD, as S3 omits it in some responses.
	StorageClass string
	// LastModified is when the object (its current version) was written.
	LastModified time.Time
}

// Folder says whether the object is a folder object: a key that ends in "/" (an
// empty "directory" such as the S3 console and DataSync create). DataSync treats "/"
// in a key as a folder separator and writes folder objects of its own at the
// destination, so folder objects are counted apart, neither missing nor extra.
func (o Object) Folder() bool { return o.Key == "" || strings.HasSuffix(o.Key, "/") }

// SinglePartETag says whether the ETag can be the MD5 of the content: S3 gives a
// multipart upload an ETag with a "-<parts>" suffix. (An SSE-KMS object's ETag is not
// an MD5 either, which a listing does not show: the caller knows the encryption.)
func (o Object) SinglePartETag() bool { return o.ETag != "" && !strings.Contains(o.ETag, "-") }

// Archived says whether S3 must restore the object before anyone (DataSync
// included) can read it: the GLACIER (Flexible Retrieval) and DEEP_ARCHIVE classes.
// GLACIER_IR is readable at once. Objects in the archive tiers of INTELLIGENT_TIERING
// are not visible in a listing (HeadObject's ArchiveStatus says), so they are not
// counted here.
func (o Object) Archived() bool {
	switch o.StorageClass {
	case "GLACIER", "DEEP_ARCHIVE":
		return true
	}
	return false
}

// Location is a bucket and a prefix in an account and Region.
type Location struct {
	Account string `json:"account"`
	Region  string `json:"region"`
	Bucket  string `json:"bucket"`
	// Prefix is the location's subdirectory, as in the config ("photos", "photos/",
	// "" for the whole bucket); KeyPrefix is its form in keys.
	Prefix string `json:"prefix"`
}

// KeyPrefix is the prefix every key of the location starts with: the subdirectory
// with one trailing "/" ("photos/"), or "" for the whole bucket.
func (l Location) KeyPrefix() string {
	p := strings.Trim(l.Prefix, "/")
	if p == "" {
		return ""
	}
	return p + "/"
}

// String is s3://bucket/prefix.
func (l Location) String() string { return "s3://" + l.Bucket + "/" + l.KeyPrefix() }

// ListAPI is the S3 call a listing makes; *s3.Client implements it.
type ListAPI interface {
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

// ClientFor returns the S3 client for calls on a bucket of account in region. The
// transfers command maps each account to its own credentials with it (a profile per
// account); the default serves every account from one credential chain.
type ClientFor func(ctx context.Context, account, region string) (*s3.Client, error)
