package meshaddr

import (
	"os"
	"os/exec"
	"testing"
)

func TestWriteReadRemove(t *testing.T) {
	dir := t.TempDir()
	if _, ok, err := Read(dir); ok || err != nil {
		t.Fatalf("empty dir: ok %v, %v", ok, err)
	}
	want := Addr{HTTP: "http://127.0.0.1:4711", NATS: "nats://127.0.0.1:4712", Ops: "http://127.0.0.1:4711", PID: os.Getpid()}
	if err := Write(dir, want); err != nil {
		t.Fatal(err)
	}
	got, ok, err := Read(dir)
	if !ok || err != nil || got != want {
		t.Fatalf("Read = %+v, %v, %v; want %+v", got, ok, err, want)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("%d files in the data dir, want 1 (no temporary left)", len(entries))
	}
	if err := Remove(dir, os.Getpid()+1); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := Read(dir); !ok {
		t.Error("Remove by another pid removed the file")
	}
	if err := Remove(dir, os.Getpid()); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := Read(dir); ok {
		t.Error("file still read after Remove")
	}
}

// A file left by a process that is gone (kill -9) is ignored.
func TestReadIgnoresDeadProcess(t *testing.T) {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := Write(dir, Addr{HTTP: "http://127.0.0.1:1", PID: cmd.Process.Pid}); err != nil {
		t.Fatal(err)
	}
	if a, ok, err := Read(dir); ok || err != nil {
		t.Errorf("Read = %+v, %v, %v; want not found", a, ok, err)
	}
}

func TestReadCorrupt(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(Path(dir), []byte("{oops"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := Read(dir); ok || err == nil {
		t.Errorf("corrupt file: ok %v, err %v; want an error", ok, err)
	}
}

func TestRedactURL(t *testing.T) {
	got := RedactURL("nats://u:secret@a:4222, nats://b:4222,tls://tok@c:4443")
	if got != "nats://a:4222, nats://b:4222,tls://c:4443" {
		t.Errorf("RedactURL = %q", got)
	}
}
