#!/usr/bin/env bash
# Run a command with a throwaway Postgres on 127.0.0.1: Debian's postgresql (installed if absent),
# a cluster initialised in a temp dir (as the `postgres` user when run as root: the server
# refuses root), trust auth on loopback only, stopped and removed when the command ends.
# The command sees WASM_SANDBOX_TEST_PG (libpq key=value pairs, no dbname),
# WASM_SANDBOX_REQUIRE_PG=1 (the Postgres tests fail instead of skipping), and
# WASM_SANDBOX_TEST_PG_CA: the server also speaks TLS, with a certificate for 127.0.0.1 and
# localhost from a throwaway CA (this file, PEM), made here with openssl.
set -euo pipefail

SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
if [ -z "$(pg_bin)" ] || [ ! -x "$(pg_bin)/initdb" ]; then
    echo "installing postgresql (Debian packages)"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
fi
BIN=$(pg_bin)

dir=$(mktemp -d /tmp/wasm-sandbox-pg.XXXXXX)
as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
[ "$(id -u)" = 0 ] && chown postgres: "$dir"
chmod 700 "$dir"

# A free port on loopback.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')

stop() {
    as_pg "$BIN/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap stop EXIT

as_pg "$BIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
# TLS: a CA, and a server certificate it signed for 127.0.0.1 and localhost.
tls="$dir/tls"
mkdir -p "$tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=wasm-sandbox test CA" \
    -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > "$tls/ext"
openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial \
    -days 2 -extfile "$tls/ext" -out "$tls/server.pem" 2>/dev/null
chmod 600 "$tls/server.key"
[ "$(id -u)" = 0 ] && chown postgres: "$tls/server.key" "$tls/server.pem"
chmod 755 "$tls"
as_pg "$BIN/pg_ctl" -D "$dir/data" -l "$dir/data/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir/data -c max_connections=200 -c fsync=off -c ssl=on -c ssl_cert_file=$tls/server.pem -c ssl_key_file=$tls/server.key" start >/dev/null
echo "postgres: $("$BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data in $dir, removed at exit)"

# Plain TCP unless a test asks for TLS (it then replaces sslmode and passes the CA).
export WASM_SANDBOX_TEST_PG="host=127.0.0.1 port=$port user=postgres sslmode=disable"
export WASM_SANDBOX_REQUIRE_PG=1
export WASM_SANDBOX_TEST_PG_CA="$tls/ca.pem"
"$@"
