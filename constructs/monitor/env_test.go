package monitor

import (
	monres "github.com/s3transfer/cdk-datasync/constructs/monitor/resource"
	"strings"
	"testing"
	"time"
)

func TestFromEnv(t *testing.T) {
	t.Setenv(monres.EnvTransfer, "media")
	t.Setenv(monres.EnvTaskArn, "arn:aws:datasync:us-west-2:111111111111:task/task-0123456789abcdef0")
	t.Setenv(monres.EnvStallMinutes, "45")
	t.Setenv(monres.EnvNotifySuccess, "true")
	t.Setenv(monres.EnvTopicArns, "arn:aws:sns:us-west-2:111111111111:a, arn:aws:sns:us-west-2:111111111111:b")
	c, topics, err := FromEnv()
	if err != nil || c.StallAfter != 45*time.Minute || !c.NotifySuccess || len(topics) != 2 || topics[1] != "arn:aws:sns:us-west-2:111111111111:b" {
		t.Errorf("FromEnv = %+v, %v, %v", c, topics, err)
	}
	t.Setenv(monres.EnvTopicArns, "")
	if _, topics, _ := FromEnv(); len(topics) != 0 {
		t.Errorf("topics %v from an empty list", topics)
	}
	t.Setenv(monres.EnvTaskArn, "")
	t.Setenv(monres.EnvStallMinutes, "soon")
	_, _, err = FromEnv()
	if err == nil || !strings.Contains(err.Error(), "TASK_ARN are required") || !strings.Contains(err.Error(), `STALL_MINUTES "soon"`) {
		t.Errorf("want both problems: %v", err)
	}
}
