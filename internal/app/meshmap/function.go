package meshmap

import (
	"github.com/fnmesh/fnmesh/broker"
	"github.com/fnmesh/fnmesh/internal/config"
	"github.com/fnmesh/fnmesh/internal/history"
	"github.com/fnmesh/fnmesh/workers"
)

// Function is what a replica of one function needs from the mesh file: its
// consume settings, the broker client's settings and where its dead
// letters go.
type Function struct {
	// File is the mesh file it was read from.
	File string
	// Worker is the function's consume settings.
	Worker workers.Config
	// Broker is the broker client's configuration.
	Broker broker.Config
	// DeadLetter is the mesh's dead-letter stream.
	DeadLetter broker.DeadLetterConfig
	// History is the mesh's run history.
	History history.Config
}

// FunctionOf maps function name of m; ok is false when m declares no
// function of that name.
func FunctionOf(m *config.Mesh, name string) (f Function, ok bool) {
	fn, ok := m.Function(name)
	if !ok {
		return Function{}, false
	}
	return Function{File: m.File, Worker: Worker(m, fn), Broker: Broker(m), DeadLetter: DeadLetter(m), History: History(m)}, true
}

// LoadFunction reads the mesh file at path (as Load does) and maps its
// function name; ok is false when the file declares no such function.
func LoadFunction(path, name string) (f Function, ok bool, err error) {
	m, err := Load(path)
	if err != nil {
		return Function{}, false, err
	}
	f, ok = FunctionOf(m, name)
	return f, ok, nil
}
