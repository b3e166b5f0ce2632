package main

import (
	"errors"
	"io/fs"
	"os"

	"github.com/fnmesh/fnmesh/internal/config"
)

// loadMeshIfPresent loads the mesh file when it exists; a missing file is
// not an error (nil mesh), an invalid one is.
func loadMeshIfPresent(path string) (*config.Mesh, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return config.Load(path)
}
