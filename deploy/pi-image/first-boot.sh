#!/usr/bin/env bash
# First boot of a doorcast box (doorcast-firstboot.service, once). The installer writes
# doorcast.txt on the SD card's boot partition while flashing (broker address, enrolment code,
# the controller link and door map); this exchanges the code for the box's credentials, writes
# the config, enables the agent, and deletes the code file so the secret does not linger.
# ROOT prefixes every path (tests run this against a folder); DOORCAST is the agent CLI.
set -euo pipefail

ROOT="${ROOT:-}"
DOORCAST="${DOORCAST:-/usr/bin/node /opt/doorcast/agent/bin/doorcast.js}"
SYSTEMCTL="${SYSTEMCTL:-systemctl}"
SETTINGS="${ROOT}/boot/firmware/doorcast.txt"
CONF_DIR="${ROOT}/etc/doorcast"
STATE_DIR="${ROOT}/var/lib/doorcast"
DONE="${STATE_DIR}/.first-boot-done"

log() { echo "doorcast first boot: $*" >&2; }

if [[ -e "$DONE" ]]; then
  log "already done"
  exit 0
fi
if [[ ! -r "$SETTINGS" ]]; then
  log "no ${SETTINGS}: provision by hand with 'doorcast provision' (see deploy/pi-image/README.md)"
  exit 0
fi

# KEY=value lines only; nothing in the file is executed.
broker="" code="" timezone="UTC" screen="framebuffer"
serial=() doors=()
while IFS='=' read -r key value; do
  key="${key//[[:space:]]/}"
  value="${value%$'\r'}"
  case "$key" in
    ''|'#'*) ;;
    BROKER) broker="$value" ;;
    CODE) code="$value" ;;
    TIMEZONE) timezone="$value" ;;
    SCREEN) screen="$value" ;;
    SERIAL) serial+=(--serial "$value") ;;
    DOOR) doors+=(--door "$value") ;;
    *) log "ignoring unknown setting ${key}" ;;
  esac
done < "$SETTINGS"

if [[ -z "$broker" || -z "$code" ]]; then
  log "${SETTINGS} needs BROKER= and CODE="
  exit 1
fi

# shellcheck disable=SC2086 # DOORCAST is a command line (node + script)
$DOORCAST provision --broker "$broker" --code "$code" --dir "$CONF_DIR" --state-dir "$STATE_DIR" \
  --timezone "$timezone" --screen "$screen" "${serial[@]}" "${doors[@]}"

# The code is single-use and now spent, but it is still a secret: remove it.
rm -f "$SETTINGS"
mkdir -p "$STATE_DIR"
date -u +%FT%TZ > "$DONE"
"$SYSTEMCTL" enable --now doorcast-agent.service
log "done; the agent is running"
