#!/usr/bin/env bash
# Writes the config of each broker node of a host (broker-1.yaml .. broker-N.yaml) from one
# env file, with the ports haproxy.cfg expects: node i listens on MQTT 1883+i and HTTP 8080+i,
# on BIND_HOST (loopback when haproxy runs on the same host), with a state dir of its own.
# Usage: make-node-configs.sh ENV_FILE OUT_DIR [NODES=3]
set -euo pipefail

env_file="${1:?usage: make-node-configs.sh ENV_FILE OUT_DIR [NODES]}"
out="${2:?usage: make-node-configs.sh ENV_FILE OUT_DIR [NODES]}"
nodes="${3:-3}"

REDIS_URL="" POSTGRES_URL="" PUBLIC_MQTT="" PUBLIC_HTTP="" STATE_DIR="/var/lib/doorcast-broker" PG_POOL="10" BIND_HOST="127.0.0.1"
# KEY=value lines only, read as data: nothing in the file is executed.
while IFS= read -r line || [[ -n "$line" ]]; do
  line="${line%$'\r'}"
  [[ -z "$line" || "$line" == \#* ]] && continue
  key="${line%%=*}" value="${line#*=}"
  case "$key" in
    REDIS_URL) REDIS_URL="$value" ;;
    POSTGRES_URL) POSTGRES_URL="$value" ;;
    PUBLIC_MQTT) PUBLIC_MQTT="$value" ;;
    PUBLIC_HTTP) PUBLIC_HTTP="$value" ;;
    STATE_DIR) STATE_DIR="$value" ;;
    PG_POOL) PG_POOL="$value" ;;
    BIND_HOST) BIND_HOST="$value" ;;
    *) echo "make-node-configs: ignoring unknown setting ${key}" >&2 ;;
  esac
done < "$env_file"

for v in REDIS_URL POSTGRES_URL PUBLIC_MQTT PUBLIC_HTTP; do
  if [[ -z "${!v}" ]]; then
    echo "make-node-configs: ${v} is not set in ${env_file}" >&2
    exit 64
  fi
done
if ! [[ "$nodes" =~ ^[1-9]$ && "$PG_POOL" =~ ^[1-9][0-9]*$ ]]; then
  echo "make-node-configs: NODES must be 1-9 and PG_POOL a positive number" >&2
  exit 64
fi
# An address, not a name to look up: what the node binds is what haproxy.cfg dials.
if ! [[ "$BIND_HOST" =~ ^[0-9a-fA-F:.]+$ ]]; then
  echo "make-node-configs: BIND_HOST must be an IP address (got ${BIND_HOST})" >&2
  exit 64
fi
# YAML single-quoted scalars: a quote inside is doubled, nothing else is special.
q() { printf "'%s'" "${1//\'/\'\'}"; }

mkdir -p "$out"
umask 077
for ((i = 1; i <= nodes; i++)); do
  cat > "${out}/broker-${i}.yaml" <<YAML
# doorcast broker node ${i} (deploy/cloud/README.md); written by make-node-configs.sh.
version: 1
stateDir: $(q "${STATE_DIR}/node-${i}")
mqtt:
  tcp: { host: $(q "$BIND_HOST"), port: $((1883 + i)) }
http: { host: $(q "$BIND_HOST"), port: $((8080 + i)), metrics: operator }
publicUrls: { mqtt: $(q "$PUBLIC_MQTT"), http: $(q "$PUBLIC_HTTP") }
cluster:
  redis: { url: $(q "$REDIS_URL") }
store: { kind: postgres, url: $(q "$POSTGRES_URL"), poolMax: ${PG_POOL} }
YAML
  echo "wrote ${out}/broker-${i}.yaml"
done
