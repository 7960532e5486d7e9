package operate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestProfileNotFoundNamesTheFilesAndTheirProfiles(t *testing.T) {
	dir := t.TempDir()
	cfg, creds := filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	t.Setenv("AWS_CONFIG_FILE", cfg)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)

	// Neither file exists.
	err := profileNotFound("prod")
	if want := `AWS profile "prod" is not configured: neither ` + cfg + ` nor ` + creds + ` exists (AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE name other files). ` +
		`Create the profile (aws configure --profile prod, or aws configure sso), or leave --profile and AWS_PROFILE unset to use the environment's credentials`; err.Error() != want {
		t.Errorf("no files:\n%s\nwant\n%s", err, want)
	}

	// Both exist, with profiles, an SSO session and a services section that are not profiles.
	os.WriteFile(cfg, []byte("[default]\nregion = us-east-1\n[profile acct-111111111111]\nsso_session = corp\n[sso-session corp]\n[services local]\n"), 0o600)
	os.WriteFile(creds, []byte("[acct-222222222222]\naws_access_key_id = x\n[default]\n"), 0o600)
	err = profileNotFound("acct-11111111111")
	if want := `AWS profile "acct-11111111111" is not in ` + cfg + ` or ` + creds + ` (profiles there: acct-111111111111, acct-222222222222, default): ` +
		`name one of them, or leave --profile and AWS_PROFILE unset to use the environment's credentials`; err.Error() != want {
		t.Errorf("with profiles:\n%s\nwant\n%s", err, want)
	}
	if strings.Contains(err.Error(), "is not in :") {
		t.Errorf("empty file list: %s", err)
	}
}
