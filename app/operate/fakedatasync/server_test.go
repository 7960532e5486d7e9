package fakedatasync

import (
	"encoding/json"
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
