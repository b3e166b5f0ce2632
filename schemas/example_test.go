package schemas_test

import (
	"fmt"
	"path/filepath"

	"github.com/fnmesh/fnmesh/schemas"
)

func ExampleRegistry_Validate() {
	r, err := schemas.NewRegistry(map[string]string{
		"com.example.order.created": filepath.Join("testdata", "order.schema.json"),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Validate("com.example.order.created", []byte(`{"id":"o1","items":[{"sku":"a","qty":2}]}`)))
	fmt.Println(r.Validate("com.example.order.created", []byte(`{"id":"o1","items":[{"sku":"a","qty":0}]}`)))
	fmt.Println(r.Validate("com.example.unchecked", []byte(`anything`)))
	// Output:
	// <nil>
	// com.example.order.created: /items/0/qty: minimum: got 0, want 1
	// <nil>
}
