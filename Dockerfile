# syntax=docker/dockerfile:1
# Builds the directory server: a static binary (the embedded FerretDB's SQLite driver is pure Go) on a
# distroless base that runs as an unprivileged user.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/directory . && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/directory /directory
# The embedded database's folder, used when no MONGODB_URI is given, owned by the user the server runs as, so
# that a volume mounted there (docker run -v directory-data:/data) is writable. Without a volume the database
# lives in the container and goes with it.
COPY --from=build --chown=nonroot:nonroot /out/data /data
ENV PORT=8080 DATA_DIR=/data
EXPOSE 8080
USER nonroot:nonroot
# The image has no shell or curl: the binary checks itself (GET /healthz on PORT).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["/directory", "healthcheck"]
ENTRYPOINT ["/directory"]
