# pagerlens container image (docs/operations.md#container).
#
#   make image                      # docker build, or buildah/podman: IMAGE_BUILDER=buildah
#   docker run -d -p 9464:9464 -v pagerlens:/var/lib/pagerlens \
#     -e PAGERLENS_BROKERS=kafka:9092 -e PAGERLENS_TOPICS=pagerlens-events pagerlens
#
# DuckDB's Go bindings link a C++ static library through cgo: the binary
# needs glibc and libstdc++ at run time, so the runtime image is glibc-based
# (distroless "cc": glibc, libgcc, libstdc++, CA certificates, no shell).
# The builder is Debian 12 as the runtime is, so the C++ runtime the binary
# was linked against is the one it finds.
ARG GO_IMAGE=golang:1.26-bookworm
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot

FROM ${GO_IMAGE} AS build
WORKDIR /src
# Modules first: this layer is reused until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# duckdb_arrow: the store's Arrow append path (see the Makefile).
RUN CGO_ENABLED=1 go build -tags duckdb_arrow -trimpath \
      -ldflags "-s -w" \
      -o /out/usr/bin/pagerlens ./cmd/pagerlens \
 && /out/usr/bin/pagerlens version \
 && mkdir -p /out/var/lib/pagerlens

FROM ${RUNTIME_IMAGE}
COPY --from=build /out/usr/bin/pagerlens /usr/bin/pagerlens
# The store's directory belongs to the non-root user (65532, "nonroot" in
# distroless) so that a fresh named volume, which copies it, is writable.
COPY --from=build --chown=65532:65532 /out/var/lib/pagerlens /var/lib/pagerlens
USER 65532:65532
# serve's default --db (pagerlens.duckdb) is relative: it lands here, on the
# volume. Exports written with a relative dir land here too.
WORKDIR /var/lib/pagerlens
VOLUME ["/var/lib/pagerlens"]
EXPOSE 9464
# No curl or wget in the image: pagerlens probes itself. Behind a web
# config (TLS, basic auth) override it, e.g.
#   --health-cmd 'pagerlens healthcheck --url https://127.0.0.1:9464/healthz --ca-file … --username … --password-file …'
HEALTHCHECK --interval=30s --timeout=10s --start-period=2m --retries=3 \
  CMD ["/usr/bin/pagerlens", "healthcheck"]
ENTRYPOINT ["/usr/bin/pagerlens"]
CMD ["serve"]
