package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3transfer/cdk-datasync/constructs/provider/resource"
)

func ownershipProps() resource.OwnershipControlsProps {
	return resource.OwnershipControlsProps{Region: "us-west-2", Bucket: "acme-dst"}
}

func TestOwnershipAlreadyEnforcedIsLeftAlone(t *testing.T) {
	w := newWorld()
	w.ownership["acme-dst"] = "BucketOwnerEnforced"
	res := mustHandle(t, w.handler(), event(cfn.RequestCreate, resource.TypeOwnershipControls, "", ownershipProps(), nil))
	if res.PhysicalID != "acme-dst" || w.count("PutBucketOwnershipControls") != 0 || w.count("GetBucketAcl") != 0 {
		t.Errorf("physical ID %s, calls %v", res.PhysicalID, w.calls)
	}
}

func TestOwnershipIsEnforcedWhenOnlyTheOwnerIsGranted(t *testing.T) {
	for _, current := range []string{"", "ObjectWriter", "BucketOwnerPreferred"} {
		w := newWorld()
		w.ownership["acme-dst"] = current // "": never set, GetBucketOwnershipControls says OwnershipControlsNotFoundError
		mustHandle(t, w.handler(), event(cfn.RequestCreate, resource.TypeOwnershipControls, "", ownershipProps(), nil))
		if w.ownership["acme-dst"] != "BucketOwnerEnforced" {
			t.Errorf("from %q: ownership %q, calls %v", current, w.ownership["acme-dst"], w.calls)
		}
	}
}

// grant is one grant of a bucket ACL.
func grant(g s3types.Grantee, p s3types.Permission) s3types.Grant {
	return s3types.Grant{Grantee: &g, Permission: p}
}

func TestOwnershipFailsNamingEveryGrantToOthers(t *testing.T) {
	w := newWorld()
	w.ownership["acme-dst"] = "ObjectWriter"
	acl := ownerOnlyACL()
	logDelivery := s3types.Grantee{Type: s3types.TypeGroup, URI: aws.String("http://acs.amazonaws.com/groups/s3/LogDelivery")}
	acl.Grants = append(acl.Grants,
		grant(logDelivery, s3types.PermissionWrite),
		grant(logDelivery, s3types.PermissionReadAcp),
		grant(s3types.Grantee{Type: s3types.TypeCanonicalUser, ID: aws.String("c4ca4238a0b923820dcc509a6f75849b"), DisplayName: aws.String("partner-logs")}, s3types.PermissionFullControl),
		grant(s3types.Grantee{Type: s3types.TypeGroup, URI: aws.String("http://acs.amazonaws.com/groups/global/AllUsers")}, s3types.PermissionRead),
	)
	w.acls["acme-dst"] = acl
	_, err := w.handler().Handle(context.Background(), event(cfn.RequestCreate, resource.TypeOwnershipControls, "", ownershipProps(), nil))
	if err == nil {
		t.Fatal("ACLs disabled on a bucket whose ACL grants others")
	}
	for _, want := range []string{
		"acme-dst",
		"WRITE to the S3 log delivery group", "READ_ACP to the S3 log delivery group",
		"FULL_CONTROL to canonical user c4ca4238a0b923820dcc509a6f75849b (partner-logs)",
		"READ to everyone (AllUsers)",
		"remove those grants", "logging.s3.amazonaws.com", "ACLs are already disabled", "destination.createBucket",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), bucketOwnerID) {
		t.Errorf("the owner's own grant is named as a problem:\n%v", err)
	}
	if w.count("PutBucketOwnershipControls") != 0 || w.ownership["acme-dst"] != "ObjectWriter" {
		t.Errorf("ownership changed: %q, calls %v", w.ownership["acme-dst"], w.calls)
	}
}

// grantingS3 adds a grant to the bucket ACL right after GetBucketAcl, as someone
// changing the ACL between our read and our write would.
type grantingS3 struct {
	S3API
	w *world
}

func (g grantingS3) GetBucketAcl(ctx context.Context, in *s3.GetBucketAclInput, o ...func(*s3.Options)) (*s3.GetBucketAclOutput, error) {
	out, err := g.S3API.GetBucketAcl(ctx, in, o...)
	acl := ownerOnlyACL()
	acl.Grants = append(acl.Grants, grant(s3types.Grantee{Type: s3types.TypeGroup, URI: aws.String("http://acs.amazonaws.com/groups/s3/LogDelivery")}, s3types.PermissionWrite))
	g.w.acls[aws.ToString(in.Bucket)] = acl
	return out, err
}

func TestOwnershipRaceWithAnACLChangeFailsWithTheWaysOut(t *testing.T) {
	w := newWorld()
	h := w.handler()
	h.S3 = func(string) S3API { return grantingS3{&fakeS3{w}, w} }
	_, err := h.Handle(context.Background(), event(cfn.RequestCreate, resource.TypeOwnershipControls, "", ownershipProps(), nil))
	if err == nil || !strings.Contains(err.Error(), "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting") ||
		!strings.Contains(err.Error(), "remove those grants") {
		t.Fatalf("want S3's error with the ways out, got %v", err)
	}
}
