# syntax=docker/dockerfile:1
# Builds the directory server: a static binary (the embedded FerretDB's SQLite driver is pure Go) on a
# distroless base that runs as an unprivileged user.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/directory .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/directory /directory
ENV PORT=8080 DATA_DIR=/tmp/directory-data
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/directory"]
