package resource

// Replaces reports whether updating a resource of resourceType from the old to the
// new properties makes the provider create a new object under a new physical ID
// (CloudFormation then deletes the old object in the update's cleanup phase) rather
// than change the object in place, for an object that has the old properties. The
// provider's handlers decide against the object itself (its locationToKeep): a rollback's
// Update, whose old properties are the failed ones, keeps or takes back the object
// that has the requested bucket, Region, locations and task mode.
func Replaces(resourceType string, old, cur map[string]any) bool {
	switch resourceType {
	case TypeS3Location:
		return replaced[LocationProps](old, cur, LocationProps.ReplacedBy)
	case TypeTask:
		return replaced[TaskProps](old, cur, TaskProps.ReplacedBy)
	case TypeTaskExecution:
		return replaced[TaskExecutionProps](old, cur, TaskExecutionProps.ReplacedBy)
	case TypeBucketPolicyStatements:
		return replaced[BucketPolicyStatementsProps](old, cur, BucketPolicyStatementsProps.ReplacedBy)
	}
	return false
}

func replaced[T any](old, cur map[string]any, by func(T, T) bool) bool {
	var o, n T
	if Decode(old, &o) != nil || Decode(cur, &n) != nil {
		return true // the handler fails on properties it cannot read; nothing is kept in place
	}
	return by(o, n)
}

// ReplacedBy reports whether a location with the old properties must be replaced to
// have p's: its bucket and Region cannot change (UpdateLocationS3 changes the
// subdirectory, storage class and role).
func (old LocationProps) ReplacedBy(p LocationProps) bool {
	return old.Region != p.Region || old.S3BucketArn != p.S3BucketArn
}

// ReplacedBy reports whether a task with the old properties must be replaced to have
// p's: UpdateTask cannot change its Region, locations or task mode.
func (old TaskProps) ReplacedBy(p TaskProps) bool {
	return old.Region != p.Region || old.SourceLocationArn != p.SourceLocationArn ||
		old.DestinationLocationArn != p.DestinationLocationArn || old.TaskMode != p.TaskMode
}

// ReplacedBy: another task gets its own first execution.
func (old TaskExecutionProps) ReplacedBy(p TaskExecutionProps) bool { return old.TaskArn != p.TaskArn }

// ReplacedBy: statements in another bucket are another object (the physical ID names
// the bucket); the old bucket's are removed by the delete of the old physical ID.
func (old BucketPolicyStatementsProps) ReplacedBy(p BucketPolicyStatementsProps) bool {
	return old.Bucket != p.Bucket
}
