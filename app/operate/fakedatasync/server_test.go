package fakedatasync

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// post sends body with target and an Authorization header of key, scoped to region.
func post(t *testing.T, s *Server, target, contentType, key, region, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/", strings.NewReader(body))
	req.Header.Set("X-Amz-Target", target)
	req.Header.Set("Content-Type", contentType)
	if key != "" {
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+key+"/20260805/"+region+"/datasync/aws4_request, SignedHeaders=host, Signature=00")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]any{}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("answer is not JSON: %v", err)
	}
	return resp.StatusCode, out
}

func TestProtocolErrors(t *testing.T) {
	s := New()
	defer s.Close()
	s.AddKey("AKIDEXAMPLE", "111111111111")
	const json11 = "application/x-amz-json-1.1"
	for _, tc := range []struct {
		name, target, contentType, key, body, typ string
	}{
		{"no target", "", json11, "AKIDEXAMPLE", "{}", "UnknownOperationException"},
		{"not implemented", "FmrsService.CreateTask", json11, "AKIDEXAMPLE", "{}", "UnknownOperationException"},
		{"JSON 1.0", "FmrsService.ListTasks", "application/x-amz-json-1.0", "AKIDEXAMPLE", "{}", "SerializationException"},
		{"unsigned", "FmrsService.ListTasks", json11, "", "{}", "MissingAuthenticationTokenException"},
		{"unknown key", "FmrsService.ListTasks", json11, "AKIDNOBODY", "{}", "UnrecognizedClientException"},
		{"bad body", "FmrsService.ListTasks", json11, "AKIDEXAMPLE", "{", "SerializationException"},
		{"bad ARN", "FmrsService.DescribeTask", json11, "AKIDEXAMPLE", `{"TaskArn":"task-1"}`, "InvalidRequestException"},
	} {
		code, out := post(t, s, tc.target, tc.contentType, tc.key, "us-west-2", tc.body)
		if code < 400 || out["__type"] != tc.typ || out["message"] == "" {
			t.Errorf("%s: %d %v, want an error of __type %s with a message", tc.name, code, out, tc.typ)
		}
	}
}

func TestTasksPerAccountAndRegion(t *testing.T) {
	s := New()
	defer s.Close()
	s.PageSize = 1
	s.AddKey("AKIDA", "111111111111")
	s.AddKey("AKIDB", "222222222222")
	a1 := s.AddTask(&Task{Account: "111111111111", Region: "us-west-2", Name: "one", Mode: "ENHANCED"})
	a2 := s.AddTask(&Task{Account: "111111111111", Region: "us-west-2", Name: "two", Mode: "BASIC"})
	s.AddTask(&Task{Account: "111111111111", Region: "eu-west-1", Name: "three", Mode: "BASIC"})
	s.AddTask(&Task{Account: "222222222222", Region: "us-west-2", Name: "four", Mode: "BASIC"})

	// pages of one, of this account and Region only
	var names []string
	body := "{}"
	for {
		_, out := post(t, s, "FmrsService.ListTasks", "application/x-amz-json-1.1", "AKIDA", "us-west-2", body)
		for _, e := range out["Tasks"].([]any) {
			names = append(names, e.(map[string]any)["Name"].(string))
		}
		tok, ok := out["NextToken"].(string)
		if !ok {
			break
		}
		body = `{"NextToken":"` + tok + `"}`
	}
	if strings.Join(names, ",") != "one,two" {
		t.Errorf("ListTasks = %v", names)
	}
	// another account, or another Region, does not see the task
	if code, out := post(t, s, "FmrsService.DescribeTask", "application/x-amz-json-1.1", "AKIDB", "us-west-2", `{"TaskArn":"`+a1.Arn()+`"}`); code != 400 || out["__type"] != "InvalidRequestException" {
		t.Errorf("another account described the task: %v", out)
	}
	if code, _ := post(t, s, "FmrsService.DescribeTask", "application/x-amz-json-1.1", "AKIDA", "eu-west-1", `{"TaskArn":"`+a2.Arn()+`"}`); code != 400 {
		t.Errorf("the task was described from another Region")
	}
}

func TestStartTaskExecutionOverridesAreCheckedAndRecorded(t *testing.T) {
	s := New()
	defer s.Close()
	s.AddKey("AKIDA", "111111111111")
	task := s.AddTask(&Task{Account: "111111111111", Region: "us-west-2", Name: "one", Mode: "ENHANCED"})
	const json11 = "application/x-amz-json-1.1"
	start := func(extra string) (int, map[string]any) {
		return post(t, s, "FmrsService.StartTaskExecution", json11, "AKIDA", "us-west-2", `{"TaskArn":"`+task.Arn()+`"`+extra+`}`)
	}
	role := `"BucketAccessRoleArn":"arn:aws:iam::111111111111:role/r","S3BucketArn":"arn:aws:s3:::b"`
	for _, tc := range []struct{ name, extra string }{
		{"two rules", `,"Includes":[{"FilterType":"SIMPLE_PATTERN","Value":"/a"},{"FilterType":"SIMPLE_PATTERN","Value":"/b"}]`},
		{"not SIMPLE_PATTERN", `,"Includes":[{"FilterType":"REGEX","Value":"/a"}]`},
		{"too long", `,"Includes":[{"FilterType":"SIMPLE_PATTERN","Value":"/` + strings.Repeat("a", 102400) + `"}]`},
		{"manifest without S3", `,"ManifestConfig":{"Action":"TRANSFER","Format":"CSV"}`},
		{"manifest path", `,"ManifestConfig":{"Source":{"S3":{"ManifestObjectPath":"a*b.csv",` + role + `}}}`},
	} {
		if code, out := start(tc.extra); code != 400 || out["__type"] != "InvalidRequestException" {
			t.Errorf("%s: %d %v, want InvalidRequestException", tc.name, code, out)
		}
	}
	if n := len(s.Started(task)); n != 0 {
		t.Fatalf("%d executions started by refused requests", n)
	}
	// the longest filter DataSync takes, and a manifest
	if code, out := start(`,"Includes":[{"FilterType":"SIMPLE_PATTERN","Value":"/` + strings.Repeat("a", 102399) + `"}]`); code != 200 {
		t.Fatalf("102,400 characters refused: %v", out)
	}
	if code, out := start(`,"ManifestConfig":{"Action":"TRANSFER","Format":"CSV","Source":{"S3":{"ManifestObjectPath":"m/a (1).csv",` + role + `}}}`); code != 200 {
		t.Fatalf("manifest refused: %v", out)
	}
	got := s.Started(task)
	if len(got) != 2 || len(got[0].Includes) != 102400 || got[1].Manifest == nil || got[1].Manifest.ObjectPath != "m/a (1).csv" || got[1].Manifest.BucketAccessRoleArn != "arn:aws:iam::111111111111:role/r" {
		t.Errorf("recorded %+v", got)
	}
}

func TestUpdateTaskScheduleStatus(t *testing.T) {
	s := New()
	defer s.Close()
	s.AddKey("AKIDA", "111111111111")
	task := s.AddTask(&Task{Account: "111111111111", Region: "us-west-2", Name: "one", Mode: "ENHANCED", Schedule: "rate(1 hour)"})
	const json11 = "application/x-amz-json-1.1"
	update := func(schedule string) int {
		code, _ := post(t, s, "FmrsService.UpdateTask", json11, "AKIDA", "us-west-2", `{"TaskArn":"`+task.Arn()+`","Schedule":`+schedule+`}`)
		return code
	}
	if code := update(`{"Status":"DISABLED"}`); code != 400 {
		t.Errorf("a schedule without its expression: %d, want 400", code)
	}
	if code := update(`{"ScheduleExpression":"rate(1 hour)","Status":"DISABLED"}`); code != 200 {
		t.Fatalf("pause: %d", code)
	}
	_, out := post(t, s, "FmrsService.DescribeTask", json11, "AKIDA", "us-west-2", `{"TaskArn":"`+task.Arn()+`"}`)
	sched, _ := out["Schedule"].(map[string]any)
	details, _ := out["ScheduleDetails"].(map[string]any)
	if sched["Status"] != "DISABLED" || details["DisabledBy"] != "USER" || details["StatusUpdateTime"] == nil {
		t.Errorf("DescribeTask after the pause: %v %v", sched, details)
	}
}

func TestGetCallerIdentity(t *testing.T) {
	s := New()
	defer s.Close()
	s.AddKey("AKIDA", "111111111111")
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/", strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDA/20260805/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, _ = io.Copy(&b, resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(b.String(), "<Account>111111111111</Account>") {
		t.Errorf("%d %s", resp.StatusCode, b.String())
	}
}
