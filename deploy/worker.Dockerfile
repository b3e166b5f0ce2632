# A worker image around one static function binary built with the Go SDK
# (functions.Serve), e.g. the fulfil-order example:
#
#   CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o deploy/bin/fulfil-order ./functions/examples/fulfil-order
#   docker build -f deploy/worker.Dockerfile --build-arg BINARY=bin/fulfil-order -t fulfil-order:dev deploy
#
# The worker is configured by its environment: FNMESH_FUNCTION, FNMESH_FILE
# (the mesh file, mounted at /etc/fnmesh/mesh.yaml by compose and by the
# Kubernetes manifests), NATS_URL, FNMESH_REPLICA and OTEL_*. It drains and
# exits on SIGTERM.
FROM scratch
ARG BINARY=bin/fulfil-order
COPY ${BINARY} /worker
ENV FNMESH_FILE=/etc/fnmesh/mesh.yaml
USER 65532:65532
ENTRYPOINT ["/worker"]
