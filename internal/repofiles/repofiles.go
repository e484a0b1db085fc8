// Package repofiles lists the repository's own files, for the tests that
// read the repository as text (its docs, its history words, its function
// lengths).
package repofiles

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Root is the repository's root, found two folders above the calling
// test's package (internal/<name>).
func Root() (string, error) {
	root, err := filepath.Abs("../..")
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return "", fmt.Errorf("the repository's root is not two folders up: %w", err)
	}
	return root, nil
}

// List names, relative to root with forward slashes, the files git tracks
// and those added but not committed yet, less those deleted in the work
// tree; without git (an exported tree), every file under root but the
// built tools and test output.
func List(root string) ([]string, error) {
	out, err := exec.Command("git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err == nil {
		var files []string
		for _, f := range strings.Split(string(out), "\x00") {
			if f == "" {
				continue
			}
			if _, err := os.Lstat(filepath.Join(root, f)); err == nil {
				files = append(files, f)
			}
		}
		return files, nil
	}
	var files []string
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			switch rel {
			case ".git", "bin", "artifacts", "node_modules", ".devstack", ".cluster":
				return filepath.SkipDir
			}
			return nil
		}
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	return files, err
}
