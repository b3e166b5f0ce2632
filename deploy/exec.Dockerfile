# A worker image for a run.exec function: the fnmesh image (which runs
# `fnmesh worker`) plus the program and its interpreter, nothing else. For
# the example's notify function, a shell script, the interpreter is a
# static busybox (Debian's busybox-static):
#
#   cp /bin/busybox deploy/bin/busybox
#   cp functions/examples/notify.sh deploy/bin/notify.sh
#   docker build -f deploy/exec.Dockerfile --build-arg PROGRAM=bin/notify.sh -t notify:dev deploy
#
# and in the mesh file: kubernetes: { image: notify:dev }.
#
# The worker runs the program in the mesh file's directory (/etc/fnmesh,
# plus run.dir), so the program goes there: "./notify.sh" is
# /etc/fnmesh/notify.sh. The manifests mount only the mesh file itself, so
# the image's files beside it stay visible.
ARG BASE=fnmesh:dev
FROM ${BASE}
ARG PROGRAM=bin/notify.sh
USER 0:0
COPY bin/busybox /bin/busybox
# The applets (sh, cat, wc, tr, ...) as links, made without a shell.
RUN ["/bin/busybox", "--install", "-s", "/bin"]
COPY ${PROGRAM} /etc/fnmesh/
ENV PATH=/bin
USER 65532:65532
ENTRYPOINT ["/fnmesh"]
CMD ["worker"]
