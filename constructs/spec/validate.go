package spec

import (
	"fmt"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/s3transfer/cdk-datasync/constructs/spec/internal/dstypes"
)

// regionFacts is what validation needs to know of a Region.
type regionFacts struct {
	Partition string
	OptIn     bool
}

// dataSyncPartitions are the partitions DataSync's ARN patterns accept
// (S3BucketArn, LocationArn and TaskArn in the DataSync API model).
var dataSyncPartitions = []string{"aws", "aws-cn", "aws-us-gov", "aws-eusc", "aws-iso", "aws-iso-b"}

// LogRetentionDaysAllowed are the retention periods CloudWatch Logs accepts.
var LogRetentionDaysAllowed = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

var (
	nameRe       = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)
	accountRe    = regexp.MustCompile(`^[0-9]{12}$`)
	bucketRe     = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	subdirRe     = regexp.MustCompile(`^[a-zA-Z0-9_\-+./()\p{Zs}]*$`) // S3Subdirectory pattern
	kmsKeyArnRe  = regexp.MustCompile(`^arn:([a-z-]+):kms:([a-z0-9-]+):([0-9]{12}):key/((mrk-)?[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$`)
	emailRe      = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s.]+$`)
	rateRe       = regexp.MustCompile(`^rate\(([0-9]+) (minute|minutes|hour|hours|day|days)\)$`)
	cronRe       = regexp.MustCompile(`^cron\((.*)\)$`)
	scheduleChRe = regexp.MustCompile(`^[a-zA-Z0-9 _*?,|^\-/#\s()+]*$`) // ScheduleExpressionCron pattern
)

const (
	maxResourceName = 64     // IAM role names and Lambda function names
	maxSubdirectory = 4096   // S3Subdirectory max length
	maxFilterValue  = 102400 // FilterValue max length
	maxSchedule     = 256    // ScheduleExpressionCron max length
)

// Validate checks the transfer after applying defaults and returns every problem at
// once as Errors (nil when there is none). Paths are relative to the transfer
// ("source.bucket"); use Errors.Prefixed to place them in a larger document.
func (t Transfer) Validate() error {
	c := &collector{}
	d := t.WithDefaults()

	if !nameRe.MatchString(t.Name) {
		c.add("name", t.Name, "is not a valid transfer name: use 1-32 characters, lowercase letters, digits and hyphens, starting with a letter")
	}
	for _, n := range []struct {
		what, name string
	}{{"IAM role name", t.BucketAccessRoleName()}, {"IAM role name", t.LocationAdminRoleName()}, {"Lambda function name", t.ProviderFunctionName()}} {
		if len(n.name) > maxResourceName {
			c.add("name", t.Name, "makes the %s %q %d characters long, over AWS's limit of %d", n.what, n.name, len(n.name), maxResourceName)
		}
	}

	srcRegion := validateEndpoint(c, "source", t.Source.Account, t.Source.Region, t.Source.Bucket, t.Source.Prefix)
	dstRegion := validateEndpoint(c, "destination", t.Destination.Account, t.Destination.Region, t.Destination.Bucket, t.Destination.Prefix)
	if srcRegion != nil && dstRegion != nil {
		if srcRegion.Partition != dstRegion.Partition {
			c.add("destination.region", t.Destination.Region, "is in partition %s but the source Region %s is in %s: DataSync cannot transfer across partitions",
				dstRegion.Partition, t.Source.Region, srcRegion.Partition)
		}
		// Opt-in Regions. The cross-account tutorial's earlier revision said it helps
		// "transfer data between S3 buckets that are also in different AWS Regions (unless
		// you're working with one or more opt-in Regions)"; its current revision
		// ("Tutorial: Transferring data between Amazon S3 buckets across AWS accounts")
		// dropped the parenthesis. DataSync's "Where can I transfer my data" page
		// (working-with-locations, "Supported transfers in the same AWS Region" and
		// "... across AWS Regions") says: "There are no restrictions when transferring
		// data within the same AWS Region (including a Region disabled by default)" and
		// "You can't transfer between Regions if one or both of the Regions is disabled by
		// default." So the rule is about Regions, not accounts: a transfer within one
		// opt-in Region is allowed (across accounts too); one between two Regions of
		// which one is opt-in is not.
		if t.CrossRegion() {
			for _, e := range []struct {
				path, region string
				facts        *regionFacts
			}{{"source.region", t.Source.Region, srcRegion}, {"destination.region", t.Destination.Region, dstRegion}} {
				if e.facts.OptIn {
					c.add(e.path, e.region, "is an opt-in Region (disabled by default) and the transfer is between two Regions: DataSync "+
						"transfers between Regions only when neither is an opt-in Region; keep both buckets in %s, or both outside opt-in Regions", e.region)
				}
			}
		}
	}
	validateKmsKeyArn(c, "source.kmsKeyArn", t.Source.KmsKeyArn, t.Source.Region, srcRegion)
	validateKmsKeyArn(c, "destination.kmsKeyArn", t.Destination.KmsKeyArn, t.Destination.Region, dstRegion)
	if t.Source.Bucket != "" && t.Source.Bucket == t.Destination.Bucket && prefixesOverlap(t.Source.Prefix, t.Destination.Prefix) {
		c.add("destination.prefix", t.Destination.Prefix, "overlaps source.prefix %q in the same bucket %q: the transfer would copy onto itself; use prefixes where neither contains the other",
			t.Source.Prefix, t.Source.Bucket)
	}
	storageClasses := enumValues(dstypes.S3StorageClass("").Values())
	storageClasses = slices.DeleteFunc(storageClasses, func(s string) bool { return s == string(dstypes.S3StorageClassOutposts) })
	checkEnum(c, "destination.storageClass", t.Destination.StorageClass, storageClasses)
	if d.Task.VerifyMode == string(dstypes.VerifyModePointInTimeConsistent) &&
		(d.Destination.StorageClass == string(dstypes.S3StorageClassGlacier) || d.Destination.StorageClass == string(dstypes.S3StorageClassDeepArchive)) {
		c.add("task.verifyMode", t.Task.VerifyMode, "cannot verify a destination in storage class %s (it would have to restore every object): use ONLY_FILES_TRANSFERRED", d.Destination.StorageClass)
	}
	switch n := t.Destination.NoncurrentVersionExpirationDays; {
	case n < 0:
		c.add("destination.noncurrentVersionExpirationDays", n, "is negative: give a number of days (at least 1), or leave it out to keep noncurrent versions")
	case n > 0 && !t.Destination.CreateBucket:
		c.add("destination.noncurrentVersionExpirationDays", n, "needs destination.createBucket: true (the stack sets lifecycle rules only on a bucket it creates; add the rule to your own bucket yourself)")
	}
	if t.Destination.RemoveDeletedPrincipals && t.Destination.CreateBucket {
		c.add("destination.removeDeletedPrincipals", true, "applies only to an existing bucket (destination.createBucket: false): the policy of a bucket the stack creates holds only this project's statements")
	}
	if t.Destination.CreateKmsKey && (!t.Destination.CreateBucket || t.Destination.KmsKeyArn != "") {
		c.add("destination.createKmsKey", true, "needs destination.createBucket: true and no destination.kmsKeyArn (the stack creates a key only for a bucket it creates)")
	}

	validateTask(c, t.Task, d.Task)
	if r := t.Task.Report; r != nil && r.Bucket == t.Destination.Bucket && t.Source.Account != t.Destination.Account {
		c.add("task.report.bucket", r.Bucket, "is the destination bucket, in account %s: task reports go to a bucket of the source account %s (the bucket-access role may write reports only there)",
			t.Destination.Account, t.Source.Account)
	}

	if e := t.Notifications.Email; e != "" && !emailRe.MatchString(e) {
		c.add("notifications.email", e, "is not an email address")
	}
	validateMonitoring(c, t.Monitoring)
	if len(c.errs) == 0 {
		validateRolePolicySize(c, t)
	}
	return c.errs.Err()
}

// KnownRegion reports whether aws-cdk-lib's regioninfo knows the Region.
func KnownRegion(region string) bool {
	_, ok := knownRegions[region]
	return ok
}

// RegionFacts returns the partition and opt-in status validation uses for a Region
// (the table generated from aws-cdk-lib's regioninfo), and whether it is known.
func RegionFacts(region string) (partition string, optIn, known bool) {
	f, ok := knownRegions[region]
	return f.Partition, f.OptIn, ok
}

// KnownRegions lists the Regions of the generated table.
func KnownRegions() []string {
	out := make([]string, 0, len(knownRegions))
	for r := range knownRegions {
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}

// validateEndpoint checks one side's account, Region, bucket and prefix and returns
// the Region's facts when the Region is usable.
func validateEndpoint(c *collector, side, account, region, bucket, prefix string) *regionFacts {
	if account == "" && region == "" && bucket == "" && prefix == "" {
		c.add(side, nil, "is missing: every transfer needs a %s with account, region and bucket", side)
		return nil
	}
	switch {
	case account == "":
		c.add(side+".account", account, "is empty: give the 12-digit ID of the account that owns the %s bucket", side)
	case !accountRe.MatchString(account) && strings.Trim(account, "0123456789") == "" && len(account) < 12:
		c.add(side+".account", account, "is not a 12-digit AWS account ID: an ID with leading zeros keeps them only when quoted in YAML (account: \"012345678901\")")
	case !accountRe.MatchString(account):
		c.add(side+".account", account, "is not a 12-digit AWS account ID")
	}
	facts, ok := knownRegions[region]
	switch {
	case !ok:
		c.add(side+".region", region, "is not an AWS Region known to aws-cdk-lib (e.g. us-east-1, eu-west-1)")
	case !slices.Contains(dataSyncPartitions, facts.Partition):
		c.add(side+".region", region, "is in partition %s, where DataSync S3 locations are not available (allowed partitions: %s)",
			facts.Partition, strings.Join(dataSyncPartitions, ", "))
		ok = false
	}
	validateBucketName(c, side+".bucket", bucket)
	validateSubdirectory(c, side+".prefix", prefix)
	if !ok {
		return nil
	}
	return &facts
}

// validateBucketName applies the S3 general purpose bucket naming rules.
func validateBucketName(c *collector, path, name string) {
	problem := ""
	switch {
	case name == "":
		problem = "is empty: a bucket name is required"
	case !bucketRe.MatchString(name):
		problem = "is not a valid S3 bucket name: use 3-63 characters, lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit"
	case strings.Contains(name, ".."):
		problem = "is not a valid S3 bucket name: it must not contain two adjacent periods"
	case net.ParseIP(name) != nil:
		problem = "is not a valid S3 bucket name: it must not be formatted as an IP address"
	default:
		for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
			if strings.HasPrefix(name, p) {
				problem = "is not a valid S3 bucket name: it must not start with " + strconv.Quote(p)
			}
		}
		for _, s := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
			if strings.HasSuffix(name, s) {
				problem = "is not a valid S3 bucket name: it must not end with " + strconv.Quote(s)
			}
		}
	}
	if problem != "" {
		c.add(path, name, "%s", problem)
	}
}

// validateSubdirectory applies DataSync's rules for an S3 location subdirectory.
func validateSubdirectory(c *collector, path, prefix string) {
	if prefix == "" {
		return
	}
	switch {
	case len(prefix) > maxSubdirectory:
		c.add(path, prefix, "is longer than %d characters", maxSubdirectory)
	case !subdirRe.MatchString(prefix):
		c.add(path, prefix, "has characters DataSync does not accept in a prefix: use letters, digits, spaces and _ - + . / ( )")
	case IAMPolicyCharProblem(prefix) != "":
		// The prefix is written into the bucket-access role's policy (and the destination
		// bucket's policy) as part of an object ARN.
		c.add(path, prefix, "%s, and the prefix is part of an object ARN in the bucket-access role's policy: IAM rejects the role. "+
			"Use a prefix without it (an ARN with a wildcard in its place would grant more than the prefix)", IAMPolicyCharProblem(prefix))
	case strings.HasPrefix(prefix, "/"):
		c.add(path, prefix, "starts with '/': DataSync cannot transfer objects whose prefix begins with a slash (write %q)", strings.TrimLeft(prefix, "/"))
	case strings.Contains(prefix, "//"):
		c.add(path, prefix, "contains '//': DataSync cannot transfer objects whose prefix has consecutive slashes")
	case slices.ContainsFunc(strings.Split(prefix, "/"), func(s string) bool { return s == "." || s == ".." }):
		c.add(path, prefix, "contains a '.' or '..' segment ('/./', '/../'): DataSync cannot transfer objects with such prefixes")
	}
}

// IAMPolicyCharProblem names the characters of s that IAM does not accept in a
// policy document, with their positions (1 = the first character), or returns "".
// IAM and AWS STS quotas, "IAM name requirements": "Policy documents can contain only
// the following Unicode characters: horizontal tab (U+0009), linefeed (U+000A),
// carriage return (U+000D), and characters in the range U+0020 to U+00FF." Writing
// such a character as a JSON escape (\u3000) does not change the character the
// decoded document holds, and no AWS documentation says IAM accepts it; a '?' or
// '*' in its place would widen the grant. So such values are rejected.
func IAMPolicyCharProblem(s string) string {
	var bad []string
	pos := 0
	for _, r := range s {
		pos++
		if r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0xFF) {
			continue
		}
		if len(bad) == 5 {
			bad = append(bad, "...")
			break
		}
		bad = append(bad, fmt.Sprintf("U+%04X %q at character %d", r, r, pos))
	}
	if len(bad) == 0 {
		return ""
	}
	return "has characters IAM does not accept in a policy document (only tab, line feed, carriage return and U+0020 to U+00FF): " +
		strings.Join(bad, ", ")
}

// prefixesOverlap reports whether one prefix contains the other, segment by segment
// (an empty prefix is the whole bucket).
func prefixesOverlap(a, b string) bool {
	a, b = strings.Trim(a, "/"), strings.Trim(b, "/")
	if a == "" || b == "" || a == b {
		return true
	}
	return strings.HasPrefix(a, b+"/") || strings.HasPrefix(b, a+"/")
}

func validateKmsKeyArn(c *collector, path, arn, bucketRegion string, facts *regionFacts) {
	if arn == "" {
		return
	}
	m := kmsKeyArnRe.FindStringSubmatch(arn)
	if m == nil {
		c.add(path, arn, "is not a fully qualified KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<key-id>; aliases are not allowed because IAM policies cannot name them)")
		return
	}
	if m[2] != bucketRegion {
		c.add(path, arn, "is in Region %s but the bucket is in %s: SSE-KMS buckets use a key of their own Region", m[2], bucketRegion)
	}
	if facts != nil && m[1] != facts.Partition {
		c.add(path, arn, "is in partition %s but the bucket's Region is in %s", m[1], facts.Partition)
	}
}

func validateTask(c *collector, raw, d Task) {
	checkEnum(c, "task.mode", raw.Mode, enumValues(dstypes.TaskMode("").Values()))
	checkEnum(c, "task.verifyMode", raw.VerifyMode, enumValues(dstypes.VerifyMode("").Values()))
	checkEnum(c, "task.overwriteMode", raw.OverwriteMode, enumValues(dstypes.OverwriteMode("").Values()))
	checkEnum(c, "task.transferMode", raw.TransferMode, enumValues(dstypes.TransferMode("").Values()))
	checkEnum(c, "task.preserveDeletedFiles", raw.PreserveDeletedFiles, enumValues(dstypes.PreserveDeletedFiles("").Values()))
	checkEnum(c, "task.objectTags", raw.ObjectTags, enumValues(dstypes.ObjectTags("").Values()))
	checkEnum(c, "task.logLevel", raw.LogLevel, enumValues(dstypes.LogLevel("").Values()))

	enhanced := d.Mode == string(dstypes.TaskModeEnhanced)
	if enhanced && d.VerifyMode == string(dstypes.VerifyModePointInTimeConsistent) {
		c.add("task.verifyMode", raw.VerifyMode, "is not supported by ENHANCED tasks: use ONLY_FILES_TRANSFERRED or NONE, or mode BASIC")
	}
	if d.PreserveDeletedFiles == string(dstypes.PreserveDeletedFilesRemove) && d.TransferMode == string(dstypes.TransferModeAll) {
		c.add("task.preserveDeletedFiles", raw.PreserveDeletedFiles, "cannot be combined with transferMode ALL: DataSync does not scan the destination when it transfers all data, so it cannot know what to remove")
	}
	switch {
	case raw.BytesPerSecond < -1:
		c.add("task.bytesPerSecond", raw.BytesPerSecond, "is negative: give a limit in bytes per second (at least 1), or -1 for no limit")
	case enhanced && raw.BytesPerSecond > 0:
		c.add("task.bytesPerSecond", raw.BytesPerSecond, "is a bandwidth limit, which ENHANCED tasks do not support: remove it or use mode BASIC")
	}
	validateFilter(c, "task.includes", raw.Includes)
	for i, p := range raw.Includes {
		if innerWildcard(p) {
			c.add("task.includes["+strconv.Itoa(i)+"]", p, "has a '*' that is not its last character: DataSync include filters support the wildcard "+
				"only as the rightmost character of a pattern (\"/documents*\" is supported, \"*.txt\" is not; DataSync user guide, \"Filtering data "+
				"transferred by AWS DataSync\"): include a folder (\"/photos\", \"/photos*\") and exclude what to leave out (\"*.tmp\")")
		}
	}
	validateFilter(c, "task.excludes", raw.Excludes)
	validateSchedule(c, "task.schedule", raw.Schedule)
	if raw.LogRetentionDays != 0 {
		switch {
		case !slices.Contains(LogRetentionDaysAllowed, raw.LogRetentionDays):
			c.add("task.logRetentionDays", raw.LogRetentionDays, "is not a retention CloudWatch Logs allows: one of %s", joinInts(LogRetentionDaysAllowed))
		case enhanced:
			c.add("task.logRetentionDays", raw.LogRetentionDays, "applies to the BASIC-mode log group only: ENHANCED tasks log to /aws/datasync, which DataSync creates and you manage")
		}
	}
	if r := raw.Report; r != nil {
		validateBucketName(c, "task.report.bucket", r.Bucket)
		validateSubdirectory(c, "task.report.prefix", r.Prefix)
		checkEnum(c, "task.report.level", r.Level, enumValues(dstypes.ReportLevel("").Values()))
	}
}

// validateFilter checks one list of SIMPLE_PATTERN patterns that becomes one filter rule.
func validateFilter(c *collector, path string, patterns []string) {
	for i, p := range patterns {
		item := path + "[" + strconv.Itoa(i) + "]"
		switch {
		case strings.TrimSpace(p) == "":
			c.add(item, p, "is empty: each pattern must match something")
		case strings.Contains(p, "|"):
			c.add(item, p, "contains '|', which separates patterns in a DataSync filter: give each pattern as its own list item")
		case strings.ContainsRune(p, 0):
			c.add(item, p, "contains a NUL character")
		}
	}
	if joined := strings.Join(patterns, "|"); len(joined) > maxFilterValue {
		c.add(path, len(joined), "characters of patterns joined with '|' exceed DataSync's filter limit of %d", maxFilterValue)
	}
}

// innerWildcard says whether a filter pattern has a wildcard ('*' not escaped with
// '\\') before its last character.
func innerWildcard(p string) bool {
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++
		case '*':
			if i < len(p)-1 {
				return true
			}
		}
	}
	return false
}

// validateSchedule accepts rate(...) and cron(...) expressions whose runs are at
// least one hour apart.
func validateSchedule(c *collector, path, expr string) {
	if expr == "" {
		return
	}
	if len(expr) > maxSchedule || !scheduleChRe.MatchString(expr) {
		c.add(path, expr, "is not a schedule expression DataSync accepts (at most %d characters of letters, digits, spaces and _ * ? , | ^ - / # ( ) +)", maxSchedule)
		return
	}
	if m := rateRe.FindStringSubmatch(expr); m != nil {
		n, err := strconv.Atoi(m[1])
		unit := m[2]
		switch {
		case err != nil || n < 1:
			c.add(path, expr, "has a rate value below 1")
		case (n == 1) != !strings.HasSuffix(unit, "s"):
			c.add(path, expr, "must use the singular unit for 1 and the plural otherwise (rate(1 hour), rate(2 hours))")
		case strings.HasPrefix(unit, "minute") && n < 60:
			c.add(path, expr, "runs more often than once an hour: DataSync schedules must be at least one hour apart (e.g. rate(1 hour))")
		}
		return
	}
	m := cronRe.FindStringSubmatch(expr)
	if m == nil {
		c.add(path, expr, "is neither rate(...) nor cron(...): e.g. rate(1 day) or cron(0 2 * * ? *) (UTC)")
		return
	}
	fields := strings.Fields(m[1])
	if len(fields) != 6 {
		c.add(path, expr, "has %d fields: cron(...) takes six (minutes hours day-of-month month day-of-week year), e.g. cron(0 2 * * ? *)", len(fields))
		return
	}
	if minute, err := strconv.Atoi(fields[0]); err != nil || minute < 0 || minute > 59 {
		c.add(path, expr, "can run more often than once an hour: its minutes field must be one number 0-59 so runs are at least one hour apart")
	}
	if (fields[2] == "?") == (fields[4] == "?") {
		c.add(path, expr, "must have '?' in exactly one of day-of-month and day-of-week")
	}
}

func checkEnum(c *collector, path, value string, allowed []string) {
	if value != "" && !slices.Contains(allowed, value) {
		c.add(path, value, "is not allowed: use one of %s", strings.Join(allowed, ", "))
	}
}

func enumValues[E ~string](values []E) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return out
}

func joinInts(values []int) string {
	s := make([]string, len(values))
	for i, v := range values {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, ", ")
}
