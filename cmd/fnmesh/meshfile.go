package main

import (
	"errors"
	"io/fs"
	"os"

	"github.com/fnmesh/fnmesh/internal/app/meshmap"
	"github.com/fnmesh/fnmesh/internal/config"
)

// loadMeshIfPresent loads the mesh file when it exists; a missing file is
// not an error (nil mesh), an invalid one is.
func loadMeshIfPresent(path string) (*config.Mesh, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return loadMesh(path)
}

// loadMesh loads the mesh file with the components' defaults and rules.
func loadMesh(path string) (*config.Mesh, error) { return meshmap.Load(path) }
