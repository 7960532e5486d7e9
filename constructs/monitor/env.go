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
)

// Environment variables of the notifier function.
const (
	EnvTransfer      = "TRANSFER_NAME"
	EnvTaskArn       = "TASK_ARN"
	EnvRoute         = "TRANSFER_ROUTE"
	EnvTaskLogGroup  = "TASK_LOG_GROUP"
	EnvStallMinutes  = "STALL_MINUTES"
	EnvNotifySuccess = "NOTIFY_SUCCESS"
	EnvPartition     = "PARTITION"
	EnvTopicArns     = "TOPIC_ARNS" // comma-separated
)

// FromEnv reads the notifier's configuration and topics from the environment.
func FromEnv() (Config, []string, error) {
	c := Config{
		Transfer: os.Getenv(EnvTransfer), TaskArn: os.Getenv(EnvTaskArn), Route: os.Getenv(EnvRoute),
		TaskLogGroup: os.Getenv(EnvTaskLogGroup), Partition: os.Getenv(EnvPartition),
		NotifySuccess: os.Getenv(EnvNotifySuccess) == "true",
	}
	var problems []string
	if c.Transfer == "" || c.TaskArn == "" {
		problems = append(problems, fmt.Sprintf("%s and %s are required", EnvTransfer, EnvTaskArn))
	}
	minutes, err := strconv.Atoi(os.Getenv(EnvStallMinutes))
	if err != nil || minutes <= 0 {
		problems = append(problems, fmt.Sprintf("%s %q is not a positive number of minutes", EnvStallMinutes, os.Getenv(EnvStallMinutes)))
	}
	c.StallAfter = time.Duration(minutes) * time.Minute
	var topics []string
	for _, t := range strings.Split(os.Getenv(EnvTopicArns), ",") {
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
// subject (e-mail subscribers see it as the mail's subject).
func SNSPublisher(client SNSAPI, topics []string) func(context.Context, Notification) error {
	return func(ctx context.Context, n Notification) error {
		var errs []error
		for _, topic := range topics {
			_, err := client.Publish(ctx, &sns.PublishInput{TopicArn: &topic, Subject: &n.Subject, Message: &n.Body})
			if err != nil {
				errs = append(errs, fmt.Errorf("sns Publish to %s: %w", topic, err))
			}
		}
		return errors.Join(errs...)
	}
}
