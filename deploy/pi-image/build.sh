#!/usr/bin/env bash
# Builds a doorcast SD-card image from a pinned Raspberry Pi OS Lite (arm64) release:
# Node.js and ffmpeg from Debian, the agent release in /opt/doorcast/agent, its units and udev
# rules, journald in RAM, and a separate ext4 state partition for SD-card wear (README.md).
# Needs: root, losetup, parted, e2fsprogs, qemu-user-static + binfmt (to run arm64 apt in a
# chroot), xz. Not run in CI (no image build here); its shell is linted there.
#   sudo deploy/pi-image/build.sh <agent-release.tgz> <out.img>
set -euo pipefail

BASE_URL="${BASE_URL:?set BASE_URL to the Raspberry Pi OS Lite arm64 .img.xz release to pin}"
BASE_SHA256="${BASE_SHA256:?set BASE_SHA256 to the published sha256 of the base image}"
STATE_MB="${STATE_MB:-2048}"
release="${1:?agent release tarball (npm run build, then tar the agent directory)}"
out="${2:?output image path}"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
mnt="${work}/root"

cleanup() {
  set +e
  for m in boot/firmware dev/pts dev proc sys; do umount "${mnt}/${m}" 2>/dev/null; done
  umount "$mnt" 2>/dev/null
  [[ -n "${loop:-}" ]] && losetup -d "$loop"
  rm -rf "$work"
}
trap cleanup EXIT

curl -fsSL -o "${work}/base.img.xz" "$BASE_URL"
echo "${BASE_SHA256}  ${work}/base.img.xz" | sha256sum -c -
xz -dc "${work}/base.img.xz" > "$out"

# A third partition for /var/lib/doorcast after the root file system.
truncate -s "+${STATE_MB}M" "$out"
start="$(parted -ms "$out" unit MiB print | awk -F: '$1 == 2 { sub("MiB", "", $3); print $3 + 1 }')"
parted -s "$out" mkpart primary ext4 "${start}MiB" 100%
loop="$(losetup -fP --show "$out")"
mkfs.ext4 -q -L doorcast-state -E lazy_itable_init=0 "${loop}p3"

mkdir -p "$mnt"
mount "${loop}p2" "$mnt"
mount "${loop}p1" "${mnt}/boot/firmware"
for m in dev dev/pts proc sys; do mount --bind "/${m}" "${mnt}/${m}"; done

chroot "$mnt" /bin/bash -euo pipefail -c '
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs ffmpeg socat
  id doorcast >/dev/null 2>&1 || useradd --system --home /var/lib/doorcast --shell /usr/sbin/nologin --groups dialout,gpio,video,audio doorcast
  apt-get clean
'
mkdir -p "${mnt}/opt/doorcast/agent" "${mnt}/var/lib/doorcast" "${mnt}/etc/doorcast"
tar -xzf "$release" -C "${mnt}/opt/doorcast/agent" --no-same-owner
install -m 0644 "${here}/../systemd/doorcast-agent.service" "${here}/files/doorcast-firstboot.service" "${mnt}/etc/systemd/system/"
install -m 0644 "${here}/../udev/60-doorcast.rules" "${mnt}/etc/udev/rules.d/"
install -m 0755 "${here}/first-boot.sh" "${mnt}/usr/local/sbin/doorcast-first-boot"
install -D -m 0644 "${here}/files/journald.conf" "${mnt}/etc/systemd/journald.conf.d/doorcast.conf"
echo 'LABEL=doorcast-state /var/lib/doorcast ext4 noatime,lazytime,errors=remount-ro 0 2' >> "${mnt}/etc/fstab"
chroot "$mnt" systemctl enable doorcast-firstboot.service
echo "image: ${out}"
