// Package fakedatasync is a stand-in for the AWS DataSync API on a local HTTP server,
// for tests of code that uses the real SDK client (point it here with BaseEndpoint or
// AWS_ENDPOINT_URL_DATASYNC). It speaks DataSync's protocol, awsJson1_1: POST /,
// X-Amz-Target "FmrsService.<Operation>", JSON bodies with the model's member names,
// timestamps as epoch seconds, errors as HTTP 400 with a JSON body whose __type names
// the error shape. Like DataSync, it answers each caller from the account its access
// key belongs to and the Region its SigV4 signature is scoped to, so a call in the
// wrong Region or with another account's key sees other tasks.
//
// It implements the calls the transfers command makes: ListTasks (paginated),
// ListTagsForResource and TagResource (on tasks and executions: the notifier of
// constructs/monitor keeps its state in tags), DescribeTask, UpdateTask (the
// schedule), ListTaskExecutions, DescribeTaskExecution, StartTaskExecution (recording
// its Includes and ManifestConfig overrides, checked against the API model's limits).
// The same server also answers STS GetCallerIdentity (awsQuery protocol: a form POST
// signed for "sts", an XML answer) with the account of the signing key: point the SDK
// at it with AWS_ENDPOINT_URL_STS.
// An execution follows a script of Steps: every DescribeTaskExecution returns the
// current step and moves to the next, so state advances over polls.
package fakedatasync

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Step is what DescribeTaskExecution reports at one poll. Counters that DataSync
// reports only for ENHANCED tasks (listed, prepared, failed) are sent only when the
// task's mode is ENHANCED.
type Step struct {
	Status string // QUEUED LAUNCHING PREPARING TRANSFERRING VERIFYING SUCCESS ERROR
	// Elapsed is how long the execution has run at this step, by the script's
	// clock: a finished step's EndTime is StartTime + Elapsed and its Result's
	// TotalDuration is Elapsed, so a script covers hours in a few polls.
	Elapsed time.Duration

	EstimatedFiles, EstimatedBytes              int64
	FilesTransferred, BytesWritten              int64
	BytesTransferred, BytesCompressed           int64
	FilesVerified, FilesSkipped, FilesDeleted   int64
	FilesListed, FilesPrepared                  int64 // ENHANCED only
	FailedPrepare, FailedTransfer, FailedVerify int64 // ENHANCED only

	// For the Result: phase durations, and the error of a failed run.
	PrepareDuration, TransferDuration, VerifyDuration time.Duration
	ErrorCode, ErrorDetail                            string
}

// Task is one DataSync task of an account in a Region.
type Task struct {
	Account, Region, Name string
	Mode                  string // ENHANCED or BASIC
	Status                string // default AVAILABLE
	Created               time.Time
	// Schedule is the task's schedule expression; "" for none.
	Schedule, ScheduleStatus, ScheduleDisabledBy, ScheduleDisabledReason string
	ScheduleUpdated                                                      time.Time
	// Run is the script of the executions StartTaskExecution starts.
	Run []Step
	// Tags are the task's tags (ListTagsForResource).
	Tags map[string]string

	id         string
	executions []*execution
}

// status is the task's status: RUNNING while an execution runs, QUEUED while one
// waits, else the status it was given.
func (t *Task) status() string {
	queued := false
	for _, e := range t.executions {
		switch e.step().Status {
		case "SUCCESS", "ERROR":
		case "QUEUED":
			queued = true
		default:
			return "RUNNING"
		}
	}
	if queued && t.Status == "AVAILABLE" {
		return "QUEUED"
	}
	return t.Status
}

// Arn is the task's ARN.
func (t *Task) Arn() string {
	return fmt.Sprintf("arn:aws:datasync:%s:%s:task/%s", t.Region, t.Account, t.id)
}

type execution struct {
	id      string
	task    *Task
	steps   []Step
	pos     int
	started time.Time // wall time of StartTaskExecution
	over    Overrides
	added   bool              // by AddExecution, not by StartTaskExecution
	tags    map[string]string // TagResource
}

// Overrides are what a StartTaskExecution asked beyond the task's own settings.
type Overrides struct {
	// Includes is the Includes filter's value, "" for none.
	Includes string
	// Manifest is the ManifestConfig's S3 source; nil for none.
	Manifest *Manifest
}

// Manifest is a StartTaskExecution's ManifestConfig.Source.S3, with its Action and
// Format.
type Manifest struct {
	Action, Format                                      string
	ObjectPath, BucketArn, BucketAccessRoleArn, Version string
}

// Started is one execution StartTaskExecution started, with its overrides.
type Started struct {
	Arn string
	Overrides
}

func (e *execution) arn() string { return e.task.Arn() + "/execution/" + e.id }

func (e *execution) step() Step { return e.steps[min(e.pos, len(e.steps)-1)] }

// Call is one request the server answered.
type Call struct {
	Operation, Account, Region string
	Input                      map[string]any
}

// Server is the fake DataSync endpoint.
type Server struct {
	*httptest.Server

	mu    sync.Mutex
	keys  map[string]string // access key ID -> account
	deny  map[string]bool   // account + " " + operation
	tasks []*Task
	calls []Call
	seq   int
	tags  map[string]map[string]string // resource ARN -> key -> value
	// PageSize is ListTasks' page size when the request gives no MaxResults.
	PageSize int
	// OnStart, when set, is called (without the server's lock) after each
	// StartTaskExecution, with the task and the execution's overrides: a test does
	// there what DataSync would do to the buckets.
	OnStart func(t *Task, o Overrides)
}

// New starts a server; close it with Close.
func New() *Server {
	s := &Server{keys: map[string]string{}, deny: map[string]bool{}, PageSize: 100}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// AddKey makes accessKeyID a key of account.
func (s *Server) AddKey(accessKeyID, account string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[accessKeyID] = account
}

// Deny makes operation (e.g. "ListTasks") fail with AccessDeniedException for account.
func (s *Server) Deny(account, operation string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deny[account+" "+operation] = true
}

// AddTask adds a task and returns it (with its ARN set).
func (s *Server) AddTask(t *Task) *Task {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	t.id = fmt.Sprintf("task-%017x", 0xa0000+s.seq)
	if t.Status == "" {
		t.Status = "AVAILABLE"
	}
	if t.Created.IsZero() {
		t.Created = time.Now().Add(-48 * time.Hour)
	}
	s.tasks = append(s.tasks, t)
	return t
}

// SetRun sets the script of the executions StartTaskExecution starts on t, for a
// task added already (the server may be answering requests).
func (s *Server) SetRun(t *Task, steps []Step) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t.Run = steps
}

// AddExecution adds an execution of t that was started at start and follows steps
// (a finished run of the past: one SUCCESS or ERROR step), and returns its ARN.
func (s *Server) AddExecution(t *Task, start time.Time, steps ...Step) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.start(t, start, steps)
	e.added = true
	return e.arn()
}

// start adds an execution; without steps it follows t.Run.
func (s *Server) start(t *Task, start time.Time, steps []Step) *execution {
	s.seq++
	if len(steps) == 0 {
		steps = t.Run
	}
	if len(steps) == 0 {
		steps = []Step{{Status: "QUEUED"}}
	}
	e := &execution{id: fmt.Sprintf("exec-%017x", 0xe0000+s.seq), task: t, steps: steps, started: start}
	t.executions = append(t.executions, e)
	return e
}

// Started returns the executions StartTaskExecution started on t, in order.
func (s *Server) Started(t *Task) []Started {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Started
	for _, e := range t.executions {
		if e.over != (Overrides{}) || !e.added {
			out = append(out, Started{Arn: e.arn(), Overrides: e.over})
		}
	}
	return out
}

// Schedule returns t's schedule expression and status as UpdateTask left them.
func (s *Server) Schedule(t *Task) (expression, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return t.Schedule, t.scheduleStatus()
}

func (t *Task) scheduleStatus() string {
	if t.ScheduleStatus == "" {
		return "ENABLED"
	}
	return t.ScheduleStatus
}

// Calls returns the requests answered so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// apiError is an error response: HTTP status, __type and message.
type apiError struct {
	status    int
	typ, msg  string
	errorCode string
}

func invalid(format string, args ...any) *apiError {
	return &apiError{status: 400, typ: "InvalidRequestException", msg: fmt.Sprintf(format, args...), errorCode: "InvalidRequestException"}
}

// credentialRe reads the access key and scope of a SigV4 Authorization header.
var credentialRe = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/aws4_request,`)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		s.serveSTS(w, r)
		return
	}
	out, err := s.handle(r)
	if e, ok := out["started"].(*execution); ok {
		delete(out, "started")
		if s.OnStart != nil {
			s.OnStart(e.task, e.over)
		}
	}
	if err != nil {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(err.status)
		body := map[string]any{"__type": err.typ, "message": err.msg}
		if err.errorCode != "" {
			body["errorCode"] = err.errorCode
		}
		_ = json.NewEncoder(w).Encode(body)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}

func (s *Server) handle(r *http.Request) (map[string]any, *apiError) {
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, "FmrsService.")
	if r.Method != http.MethodPost || r.URL.Path != "/" || !ok {
		return nil, &apiError{status: 404, typ: "UnknownOperationException", msg: "no operation " + r.Method + " " + r.URL.Path + " X-Amz-Target " + target}
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		return nil, &apiError{status: 400, typ: "SerializationException", msg: "Content-Type " + ct + " is not application/x-amz-json-1.1"}
	}
	m := credentialRe.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		return nil, &apiError{status: 400, typ: "MissingAuthenticationTokenException", msg: "Missing Authentication Token"}
	}
	key, region, service := m[1], m[2], m[3]
	if service != "datasync" {
		return nil, &apiError{status: 400, typ: "InvalidSignatureException", msg: "Credential should be scoped to correct service: 'datasync'."}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, &apiError{status: 400, typ: "SerializationException", msg: err.Error()}
	}
	in := map[string]any{}
	if len(body) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, &apiError{status: 400, typ: "SerializationException", msg: "body is not JSON: " + err.Error()}
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	account, ok := s.keys[key]
	if !ok {
		return nil, &apiError{status: 400, typ: "UnrecognizedClientException", msg: "The security token included in the request is invalid."}
	}
	s.calls = append(s.calls, Call{Operation: op, Account: account, Region: region, Input: in})
	if s.deny[account+" "+op] {
		return nil, &apiError{status: 400, typ: "AccessDeniedException", msg: fmt.Sprintf(
			"User: arn:aws:sts::%s:assumed-role/operator/session is not authorized to perform: datasync:%s on resource: arn:aws:datasync:%s:%s:task/* because no identity-based policy allows the datasync:%s action",
			account, op, region, account, op)}
	}
	switch op {
	case "ListTasks":
		return s.listTasks(account, region, in)
	case "DescribeTask":
		t, err := s.task(account, region, in["TaskArn"])
		if err != nil {
			return nil, err
		}
		return describeTask(t), nil
	case "ListTaskExecutions":
		t, err := s.task(account, region, in["TaskArn"])
		if err != nil {
			return nil, err
		}
		list := []any{}
		for _, e := range t.executions {
			list = append(list, map[string]any{"TaskExecutionArn": e.arn(), "Status": e.step().Status, "TaskMode": t.Mode})
		}
		return map[string]any{"TaskExecutions": list}, nil
	case "DescribeTaskExecution":
		e, err := s.execution(account, region, in["TaskExecutionArn"])
		if err != nil {
			return nil, err
		}
		out := describeExecution(e)
		if e.pos < len(e.steps)-1 {
			e.pos++
		}
		return out, nil
	case "TagResource":
		return s.tagging(op, account, region, in)
	case "StartTaskExecution":
		t, err := s.task(account, region, in["TaskArn"])
		if err != nil {
			return nil, err
		}
		if t.Status == "UNAVAILABLE" || t.Status == "CREATING" {
			return nil, invalid("Task %s is %s and cannot be started.", t.Arn(), t.Status)
		}
		over, err := overrides(in)
		if err != nil {
			return nil, err
		}
		e := s.start(t, time.Now(), nil)
		e.over = over
		return map[string]any{"TaskExecutionArn": e.arn(), "started": e}, nil
	case "ListTagsForResource":
		return s.tagging(op, account, region, in)
	case "UpdateTask":
		t, err := s.task(account, region, in["TaskArn"])
		if err != nil {
			return nil, err
		}
		if sc, ok := in["Schedule"].(map[string]any); ok {
			expr, _ := sc["ScheduleExpression"].(string)
			if expr == "" {
				return nil, invalid("1 validation error detected: Value null at 'schedule.scheduleExpression' failed to satisfy constraint: Member must not be null")
			}
			status, _ := sc["Status"].(string)
			if status == "" {
				status = "ENABLED"
			}
			if status != "ENABLED" && status != "DISABLED" {
				return nil, invalid("1 validation error detected: Value '%s' at 'schedule.status' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED]", status)
			}
			if status != t.scheduleStatus() {
				t.ScheduleUpdated = time.Now()
			}
			t.Schedule, t.ScheduleStatus = expr, status
			t.ScheduleDisabledBy, t.ScheduleDisabledReason = "", ""
			if status == "DISABLED" {
				t.ScheduleDisabledBy, t.ScheduleDisabledReason = "USER", "Manually disabled by user."
			}
		}
		return map[string]any{}, nil
	}
	return nil, &apiError{status: 400, typ: "UnknownOperationException", msg: "fakedatasync does not implement " + op}
}

func (s *Server) listTasks(account, region string, in map[string]any) (map[string]any, *apiError) {
	var mine []*Task
	for _, t := range s.tasks {
		if t.Account == account && t.Region == region {
			mine = append(mine, t)
		}
	}
	size := s.PageSize
	if n, ok := in["MaxResults"].(float64); ok {
		if n < 0 || n > 100 {
			return nil, invalid("1 validation error detected: Value '%v' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100", n)
		}
		size = int(n)
	}
	start := 0
	if tok, ok := in["NextToken"].(string); ok {
		b, err := base64.StdEncoding.DecodeString(tok)
		n, err2 := strconv.Atoi(string(b))
		if err != nil || err2 != nil || n > len(mine) {
			return nil, invalid("Invalid NextToken")
		}
		start = n
	}
	end := min(start+size, len(mine))
	list := []any{}
	for _, t := range mine[start:end] {
		list = append(list, map[string]any{"TaskArn": t.Arn(), "Name": t.Name, "Status": t.status(), "TaskMode": t.Mode})
	}
	out := map[string]any{"Tasks": list}
	if end < len(mine) {
		out["NextToken"] = base64.StdEncoding.EncodeToString([]byte(strconv.Itoa(end)))
	}
	return out, nil
}

// overrides reads and checks a StartTaskExecution's Includes and ManifestConfig as
// the API model bounds them: FilterList has at most one FilterRule, FilterType is
// SIMPLE_PATTERN, FilterValue is 1 to 102,400 characters without NUL; a manifest's
// S3 source needs ManifestObjectPath (S3Subdirectory: at most 4,096 characters of
// ^[a-zA-Z0-9_\-\+\./\(\)\p{Zs}]*$), BucketAccessRoleArn and S3BucketArn.
func overrides(in map[string]any) (Overrides, *apiError) {
	var o Overrides
	if list, ok := in["Includes"].([]any); ok {
		if len(list) > 1 {
			return o, invalid("1 validation error detected: Value at 'includes' failed to satisfy constraint: Member must have length less than or equal to 1")
		}
		if len(list) == 1 {
			rule, _ := list[0].(map[string]any)
			typ, _ := rule["FilterType"].(string)
			value, _ := rule["Value"].(string)
			if typ != "SIMPLE_PATTERN" {
				return o, invalid("FilterType %q is not SIMPLE_PATTERN", typ)
			}
			if value == "" || len([]rune(value)) > 102400 || strings.ContainsRune(value, 0) {
				return o, invalid("1 validation error detected: Value at 'includes.1.member.value' failed to satisfy constraint: Member must have length less than or equal to 102400 and match ^[^\\x00]+$")
			}
			o.Includes = value
		}
	}
	if mc, ok := in["ManifestConfig"].(map[string]any); ok {
		src, _ := mc["Source"].(map[string]any)
		s3, _ := src["S3"].(map[string]any)
		if s3 == nil {
			return o, &apiError{status: 400, typ: "InvalidRequestException", errorCode: "ValidationException",
				msg: "ManifestConfig.Source.S3 is required: DataSync needs the IAM role that reads the bucket where the manifest is"}
		}
		m := &Manifest{}
		m.Action, _ = mc["Action"].(string)
		m.Format, _ = mc["Format"].(string)
		m.ObjectPath, _ = s3["ManifestObjectPath"].(string)
		m.BucketArn, _ = s3["S3BucketArn"].(string)
		m.BucketAccessRoleArn, _ = s3["BucketAccessRoleArn"].(string)
		m.Version, _ = s3["ManifestObjectVersionId"].(string)
		if m.ObjectPath == "" || m.BucketArn == "" || m.BucketAccessRoleArn == "" {
			return o, invalid("ManifestConfig.Source.S3 needs ManifestObjectPath, S3BucketArn and BucketAccessRoleArn")
		}
		if len(m.ObjectPath) > 4096 || !subdirectoryRe.MatchString(m.ObjectPath) {
			return o, invalid("1 validation error detected: Value '%s' at 'manifestConfig.source.s3.manifestObjectPath' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9_\\-\\+\\./\\(\\)\\p{Zs}]*$", m.ObjectPath)
		}
		if m.Action != "" && m.Action != "TRANSFER" || m.Format != "" && m.Format != "CSV" {
			return o, invalid("ManifestConfig Action must be TRANSFER and Format CSV")
		}
		o.Manifest = m
	}
	return o, nil
}

// subdirectoryRe is the API model's S3Subdirectory pattern.
var subdirectoryRe = regexp.MustCompile(`^[a-zA-Z0-9_\-\+\./\(\)\p{Zs}]*$`)

// serveSTS answers STS GetCallerIdentity with the signing key's account.
func (s *Server) serveSTS(w http.ResponseWriter, r *http.Request) {
	fail := func(code int, typ, msg string) {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(code)
		fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>fake</RequestId></ErrorResponse>`, typ, html.EscapeString(msg))
	}
	if err := r.ParseForm(); err != nil {
		fail(400, "MalformedInput", err.Error())
		return
	}
	m := credentialRe.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil || m[3] != "sts" {
		fail(403, "MissingAuthenticationToken", "Request is missing Authentication Token or is not signed for sts")
		return
	}
	if a := r.PostForm.Get("Action"); a != "GetCallerIdentity" {
		fail(400, "InvalidAction", "fakedatasync's STS implements GetCallerIdentity only, not "+a)
		return
	}
	s.mu.Lock()
	account, ok := s.keys[m[1]]
	if ok {
		s.calls = append(s.calls, Call{Operation: "sts:GetCallerIdentity", Account: account, Region: m[2]})
	}
	s.mu.Unlock()
	if !ok {
		fail(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>`+
		`<Arn>arn:aws:sts::%s:assumed-role/operator/session</Arn><UserId>AROAFAKE:session</UserId><Account>%s</Account>`+
		`</GetCallerIdentityResult><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></GetCallerIdentityResponse>`, account, account)
}

// arnRe reads the Region, account and IDs of a task or execution ARN.
var arnRe = regexp.MustCompile(`^arn:aws[a-z-]*:datasync:([a-z0-9-]+):(\d{12}):task/(task-[0-9a-f]{17})(?:/execution/(exec-[0-9a-f]{17}))?$`)

func (s *Server) task(account, region string, arn any) (*Task, *apiError) {
	str, _ := arn.(string)
	m := arnRe.FindStringSubmatch(str)
	if m == nil || m[4] != "" {
		return nil, invalid("1 validation error detected: Value '%s' at 'taskArn' failed to satisfy constraint: Member must satisfy regular expression pattern", str)
	}
	for _, t := range s.tasks {
		if t.id == m[3] && t.Account == account && t.Region == region && m[1] == region && m[2] == account {
			return t, nil
		}
	}
	return nil, invalid("Request references a resource which does not exist.")
}

func (s *Server) execution(account, region string, arn any) (*execution, *apiError) {
	str, _ := arn.(string)
	m := arnRe.FindStringSubmatch(str)
	if m == nil || m[4] == "" {
		return nil, invalid("1 validation error detected: Value '%s' at 'taskExecutionArn' failed to satisfy constraint: Member must satisfy regular expression pattern", str)
	}
	for _, t := range s.tasks {
		for _, e := range t.executions {
			if e.arn() == str && t.Account == account && t.Region == region {
				return e, nil
			}
		}
	}
	return nil, invalid("Request references a resource which does not exist.")
}

func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

func describeTask(t *Task) map[string]any {
	out := map[string]any{
		"TaskArn": t.Arn(), "Name": t.Name, "Status": t.status(), "TaskMode": t.Mode,
		"CreationTime":           epoch(t.Created),
		"SourceLocationArn":      fmt.Sprintf("arn:aws:datasync:%s:%s:location/loc-%017x", t.Region, t.Account, 1),
		"DestinationLocationArn": fmt.Sprintf("arn:aws:datasync:%s:%s:location/loc-%017x", t.Region, t.Account, 2),
	}
	if n := len(t.executions); n > 0 {
		out["CurrentTaskExecutionArn"] = t.executions[n-1].arn()
	}
	if t.Schedule != "" {
		status := t.ScheduleStatus
		if status == "" {
			status = "ENABLED"
		}
		out["Schedule"] = map[string]any{"ScheduleExpression": t.Schedule, "Status": status}
		details := map[string]any{}
		if !t.ScheduleUpdated.IsZero() {
			details["StatusUpdateTime"] = epoch(t.ScheduleUpdated)
		}
		if t.ScheduleDisabledBy != "" {
			details["DisabledBy"] = t.ScheduleDisabledBy
			details["DisabledReason"] = t.ScheduleDisabledReason
		}
		if len(details) > 0 {
			out["ScheduleDetails"] = details
		}
	}
	return out
}

func describeExecution(e *execution) map[string]any {
	st := e.step()
	start := e.started
	out := map[string]any{
		"TaskExecutionArn": e.arn(), "Status": st.Status, "TaskMode": e.task.Mode,
		"StartTime":                epoch(start),
		"EstimatedFilesToTransfer": st.EstimatedFiles, "EstimatedBytesToTransfer": st.EstimatedBytes,
		"FilesTransferred": st.FilesTransferred, "BytesWritten": st.BytesWritten,
		"BytesTransferred": st.BytesTransferred, "BytesCompressed": st.BytesCompressed,
		"FilesVerified": st.FilesVerified, "FilesSkipped": st.FilesSkipped, "FilesDeleted": st.FilesDeleted,
		"EstimatedFilesToDelete": 0,
	}
	if st.Status != "QUEUED" {
		out["LaunchTime"] = epoch(start)
	}
	if e.task.Mode == "ENHANCED" {
		out["FilesListed"] = map[string]any{"AtSource": st.FilesListed, "AtDestinationForDelete": 0}
		out["FilesPrepared"] = st.FilesPrepared
		out["FilesFailed"] = map[string]any{"Prepare": st.FailedPrepare, "Transfer": st.FailedTransfer, "Verify": st.FailedVerify, "Delete": 0}
	}
	result := map[string]any{}
	// a phase has a status once it has run: while running, the phases before the
	// current one; at the end, those with a duration. On ERROR, the last phase that
	// ran is the one that failed.
	order := map[string]int{"QUEUED": 0, "LAUNCHING": 1, "PREPARING": 2, "TRANSFERRING": 3, "VERIFYING": 4}
	ended := st.Status == "SUCCESS" || st.Status == "ERROR"
	last := ""
	for i, ph := range []struct {
		name string
		d    time.Duration
	}{{"Prepare", st.PrepareDuration}, {"Transfer", st.TransferDuration}, {"Verify", st.VerifyDuration}} {
		if ended && ph.d > 0 || !ended && order[st.Status] > i+2 {
			result[ph.name+"Duration"] = ph.d.Milliseconds()
			result[ph.name+"Status"] = "SUCCESS"
			last = ph.name
		}
	}
	if ended {
		out["EndTime"] = epoch(start.Add(st.Elapsed))
		result["TotalDuration"] = st.Elapsed.Milliseconds()
	}
	if st.Status == "ERROR" {
		result["ErrorCode"] = st.ErrorCode
		result["ErrorDetail"] = st.ErrorDetail
		if last != "" {
			result[last+"Status"] = "ERROR"
		}
	}
	if len(result) > 0 {
		out["Result"] = result
	}
	return out
}

// Tags returns the tags of a task or execution.
func (s *Server) Tags(arn string) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]string{}
	for _, t := range s.tasks {
		if t.Arn() == arn {
			maps.Copy(out, t.Tags)
		}
		for _, e := range t.executions {
			if e.arn() == arn {
				maps.Copy(out, e.tags)
			}
		}
	}
	return out
}

// tagging serves TagResource and ListTagsForResource on a task (Task.Tags) or an
// execution of the caller's account and Region.
func (s *Server) tagging(op, account, region string, in map[string]any) (map[string]any, *apiError) {
	arn, _ := in["ResourceArn"].(string)
	m := arnRe.FindStringSubmatch(arn)
	if m == nil {
		return nil, invalid("Request references a resource which does not exist.")
	}
	var tags *map[string]string
	if m[4] == "" {
		t, apiErr := s.task(account, region, arn)
		if apiErr != nil {
			return nil, apiErr
		}
		tags = &t.Tags
	} else {
		e, apiErr := s.execution(account, region, arn)
		if apiErr != nil {
			return nil, apiErr
		}
		tags = &e.tags
	}
	if op == "ListTagsForResource" {
		keys := slices.Sorted(maps.Keys(*tags))
		list := []any{}
		for _, k := range keys {
			list = append(list, map[string]any{"Key": k, "Value": (*tags)[k]})
		}
		return map[string]any{"Tags": list}, nil
	}
	if *tags == nil {
		*tags = map[string]string{}
	}
	list, _ := in["Tags"].([]any)
	for _, item := range list {
		kv, _ := item.(map[string]any)
		k, _ := kv["Key"].(string)
		v, _ := kv["Value"].(string)
		if k == "" {
			return nil, invalid("a tag has no Key")
		}
		(*tags)[k] = v
	}
	return map[string]any{}, nil
}
