package schemas

//go:generate go run ./gen -o mesh.schema.json
