package operate

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
)

// profileNotFound explains a profile that is in neither shared file, when one chain
// of credentials serves every call.
func profileNotFound(profile string) error {
	what, exists := missingProfile(profile)
	const unset = "or leave --profile and AWS_PROFILE unset to use the environment's credentials"
	if !exists {
		return fmt.Errorf("AWS %s. Create the profile (aws configure --profile %s, or aws configure sso), %s", what, profile, unset)
	}
	return fmt.Errorf("AWS %s: name one of them, %s", what, unset)
}

// missingProfile says where a profile was looked for, and whether those files exist.
// The SDK's SharedConfigProfileNotExistError names the profile but not the files (its
// Filename is left empty), so the files are named here: the SDK's defaults, or
// AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE, with the profiles they hold.
func missingProfile(profile string) (what string, exists bool) {
	files := []string{config.DefaultSharedConfigFilename(), config.DefaultSharedCredentialsFilename()}
	if f := os.Getenv("AWS_CONFIG_FILE"); f != "" {
		files[0] = f
	}
	if f := os.Getenv("AWS_SHARED_CREDENTIALS_FILE"); f != "" {
		files[1] = f
	}
	var existing, profiles []string
	for i, f := range files {
		names, err := profilesIn(f, i == 0)
		if err != nil {
			continue
		}
		existing = append(existing, f)
		for _, n := range names {
			if !slices.Contains(profiles, n) {
				profiles = append(profiles, n)
			}
		}
	}
	if len(existing) == 0 {
		return fmt.Sprintf("profile %q is not configured: neither %s nor %s exists (AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE name other files)",
			profile, files[0], files[1]), false
	}
	there := "it has no profiles"
	if len(existing) == 2 {
		there = "they have no profiles"
	}
	if len(profiles) > 0 {
		slices.Sort(profiles)
		there = "profiles there: " + strings.Join(profiles, ", ")
	}
	return fmt.Sprintf("profile %q is not in %s (%s)", profile, strings.Join(existing, " or "), there), true
}

// profilesIn lists the profiles of a shared config file ([profile NAME] and
// [default]) or credentials file ([NAME]).
func profilesIn(path string, isConfig bool) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var names []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "[") || !strings.HasSuffix(line, "]") {
			continue
		}
		section := strings.Join(strings.Fields(line[1:len(line)-1]), " ")
		switch {
		case !isConfig:
			names = append(names, section)
		case section == "default":
			names = append(names, section)
		case strings.HasPrefix(section, "profile "):
			names = append(names, strings.TrimPrefix(section, "profile "))
		}
	}
	return names, sc.Err()
}
