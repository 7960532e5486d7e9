// Package monitor is the notifier of a transfer's monitoring: a Lambda function
// (constructs/monitor/lambda, built like the provider) that DataSync's execution
// events and a periodic check invoke. It notices what DataSync does not report on
// its own (a run that ends SUCCESS with failed or skipped objects, a schedule the
// service disabled, a run without progress, a scheduled transfer without a recent
// success) and sends a plain-text notification for each to SNS topics.
//
// It is plain Go against SDK interfaces: tests drive it with the real DataSync
// client against app/operate/fakedatasync.
package monitor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sns"
	monres "github.com/s3transfer/cdk-datasync/constructs/monitor/resource"
)

// FromEnv reads the notifier's configuration and topics from the environment.
func FromEnv() (Config, []string, error) {
	c := Config{
		Transfer: os.Getenv(monres.EnvTransfer), TaskArn: os.Getenv(monres.EnvTaskArn), Route: os.Getenv(monres.EnvRoute),
		TaskLogGroup: os.Getenv(monres.EnvTaskLogGroup), Partition: os.Getenv(monres.EnvPartition),
		NotifySuccess: os.Getenv(monres.EnvNotifySuccess) == "true",
	}
	var problems []string
	if c.Transfer == "" || c.TaskArn == "" {
		problems = append(problems, fmt.Sprintf("%s and %s are required", monres.EnvTransfer, monres.EnvTaskArn))
	}
	minutes, err := strconv.Atoi(os.Getenv(monres.EnvStallMinutes))
	if err != nil || minutes <= 0 {
		problems = append(problems, fmt.Sprintf("%s %q is not a positive number of minutes", monres.EnvStallMinutes, os.Getenv(monres.EnvStallMinutes)))
	}
	c.StallAfter = time.Duration(minutes) * time.Minute
	var topics []string
	for _, t := range strings.Split(os.Getenv(monres.EnvTopicArns), ",") {
		if t = strings.TrimSpace(t); t != "" {
			topics = append(topics, t)
		}
	}
	if len(problems) > 0 {
		return c, nil, errors.New("notifier environment: " + strings.Join(problems, "; "))
	}
	return c, topics, nil
}

// SNSAPI is the part of *sns.Client the notifier calls.
type SNSAPI interface {
	Publish(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// SNSPublisher publishes a notification to every topic, as plain text with its
// subject (e-mail subscribers see it as the mail's subject). Each topic is published
// to in its own Region (the fourth field of its ARN): SNS refuses a topic ARN of
// another Region than the endpoint's, and a library user may pass a central topic
// of another Region.
func SNSPublisher(client SNSAPI, topics []string) func(context.Context, Notification) error {
	return func(ctx context.Context, n Notification) error {
		var errs []error
		for _, topic := range topics {
			var opts []func(*sns.Options)
			if parts := strings.Split(topic, ":"); len(parts) > 3 && parts[3] != "" {
				opts = append(opts, func(o *sns.Options) { o.Region = parts[3] })
			}
			_, err := client.Publish(ctx, &sns.PublishInput{TopicArn: &topic, Subject: &n.Subject, Message: &n.Body}, opts...)
			if err != nil {
				errs = append(errs, fmt.Errorf("sns Publish to %s: %w", topic, err))
			}
		}
		return errors.Join(errs...)
	}
}
