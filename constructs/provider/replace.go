package provider

// Replaces reports whether updating a resource of resourceType from the old to the
// new properties makes the provider create a new object under a new physical ID
// (CloudFormation then deletes the old object in the update's cleanup phase) rather
// than change the object in place, for an object that has the old properties. The
// handlers decide against the object itself (see locationToKeep): a rollback's
// Update, whose old properties are the failed ones, keeps or takes back the object
// that has the requested bucket, Region, locations and task mode.
func Replaces(resourceType string, old, cur map[string]any) bool {
	switch resourceType {
	case TypeS3Location:
		return replaced[LocationProps](old, cur, LocationProps.replacedBy)
	case TypeTask:
		return replaced[TaskProps](old, cur, TaskProps.needsNewTask)
	case TypeTaskExecution:
		return replaced[TaskExecutionProps](old, cur, TaskExecutionProps.replacedBy)
	case TypeBucketPolicyStatements:
		return replaced[BucketPolicyStatementsProps](old, cur, BucketPolicyStatementsProps.replacedBy)
	}
	return false
}

func replaced[T any](old, cur map[string]any, by func(T, T) bool) bool {
	var o, n T
	if decodeProps(old, &o) != nil || decodeProps(cur, &n) != nil {
		return true // the handler fails on properties it cannot read; nothing is kept in place
	}
	return by(o, n)
}

// replacedBy: a location's bucket and Region cannot change (UpdateLocationS3 changes
// the subdirectory, storage class and role).
func (old LocationProps) replacedBy(p LocationProps) bool {
	return old.Region != p.Region || old.S3BucketArn != p.S3BucketArn
}

// replacedBy: another task gets its own first execution.
func (old TaskExecutionProps) replacedBy(p TaskExecutionProps) bool { return old.TaskArn != p.TaskArn }

// replacedBy: statements in another bucket are another object (the physical ID names
// the bucket); the old bucket's are removed by the delete of the old physical ID.
func (old BucketPolicyStatementsProps) replacedBy(p BucketPolicyStatementsProps) bool {
	return old.Bucket != p.Bucket
}
