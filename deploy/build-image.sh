#!/usr/bin/env bash
# Builds the local image dscd:local FROM scratch: /usr/local/bin/dscd, /usr/local/bin/dsc,
# every shared library they load (from ldd, dynamic loader included), a minimal /etc and a
# writable /data. Nothing is pulled: the machine has no registry.
#
#   deploy/build-image.sh [BUILD_DIR]      (default: <repo>/build)
#
# Environment: DSC_IMAGE (default dscd:local) names the image.
# Idempotent: running it again rebuilds the same tag and removes the image it replaced
# when no container uses it.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
image="${DSC_IMAGE:-dscd:local}"
build_dir="${1:-$repo/build}"
# The uid/gid dscd runs as inside the container (owns /data).
uid=10001

die() { echo "build-image.sh: error: $*" >&2; exit 1; }

[[ $# -le 1 ]] || die "usage: $0 [BUILD_DIR]"
[[ -d "$build_dir" ]] || die "build directory '$build_dir' does not exist (build first:" \
  "cmake -S . -B build -G Ninja && ninja -C build dscd dsc)"
build_dir="$(cd "$build_dir" && pwd)"
missing=()
for bin in dscd dsc; do
  [[ -x "$build_dir/bin/$bin" ]] || missing+=("$build_dir/bin/$bin")
done
if ((${#missing[@]})); then
  die "missing binaries: ${missing[*]} (build them: ninja -C '$build_dir' dscd dsc)"
fi
command -v docker >/dev/null || die "docker is not installed"
command -v ldd >/dev/null || die "ldd is not installed"
docker info >/dev/null 2>&1 || die "cannot talk to the Docker daemon (is it running? are you in group docker?)"

ctx="$(mktemp -d "${TMPDIR:-/tmp}/dscd-image.XXXXXX")"
trap 'rm -rf "$ctx"' EXIT
root="$ctx/rootfs"
mkdir -p "$root/usr/local/bin" "$root/etc" "$root/tmp" "$ctx/data"
chmod 1777 "$root/tmp"

# Copies a file (following symlinks) to the same absolute path inside the image.
put() {
  local src="$1" dst="$root$1"
  mkdir -p "$(dirname "$dst")"
  cp -L "$src" "$dst"
}

libs=()
for bin in dscd dsc; do
  cp -L "$build_dir/bin/$bin" "$root/usr/local/bin/$bin"
  strip --strip-unneeded "$root/usr/local/bin/$bin" 2>/dev/null || true
  # ldd lines: "libx.so => /path/libx.so (0x...)", "/lib64/ld-linux-x86-64.so.2 (0x...)",
  # "linux-vdso.so.1 (0x...)" (in the kernel: skipped), "libx.so => not found" (an error).
  out="$(ldd "$build_dir/bin/$bin")" || die "ldd failed on $build_dir/bin/$bin (not a dynamic ELF binary?)"
  if grep -q 'not found' <<<"$out"; then
    die "$bin needs libraries that are not installed: $(grep 'not found' <<<"$out" | tr -s ' \t' ' ')"
  fi
  while read -r path; do libs+=("$path"); done < <(
    awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<<"$out")
done
mapfile -t libs < <(printf '%s\n' "${libs[@]}" | sort -u)
for lib in "${libs[@]}"; do put "$lib"; done
# The loader is reached through /lib64 by the binaries' PT_INTERP; make sure it is there
# even if ldd printed it under another name.
interp="$(readelf -l "$build_dir/bin/dscd" 2>/dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p' || true)"
[[ -z "$interp" || -e "$root$interp" ]] || put "$interp"

# glibc >= 2.34 has the files and dns NSS modules built in; gRPC resolves names with its
# own resolver (c-ares: /etc/resolv.conf and /etc/hosts, both provided by Docker) or with
# getaddrinfo, which reads nsswitch.conf.
cat >"$root/etc/passwd" <<EOF
root:x:0:0:root:/root:/sbin/nologin
dsc:x:$uid:$uid:dsc:/data:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
EOF
cat >"$root/etc/group" <<EOF
root:x:0:
dsc:x:$uid:
nogroup:x:65534:
EOF
echo "hosts: files dns" >"$root/etc/nsswitch.conf"
# Docker bind-mounts its own /etc/hosts and /etc/resolv.conf at run time; these are only
# placeholders so that the files exist in the image.
printf '127.0.0.1 localhost\n::1 localhost\n' >"$root/etc/hosts"
: >"$root/etc/resolv.conf"

cat >"$ctx/Dockerfile" <<EOF
FROM scratch
COPY rootfs/ /
COPY --chown=$uid:$uid data/ /data/
ENV HOME=/data DSC_WALLET_DIR=/data/wallet
USER $uid:$uid
WORKDIR /data
VOLUME /data
EXPOSE 50051
ENTRYPOINT ["/usr/local/bin/dscd"]
CMD ["--role=all", "--listen=0.0.0.0:50051", "--data-dir=/data"]
LABEL org.opencontainers.image.title="dscd" \\
      org.opencontainers.image.description="DataSys Coin node (dscd) and client (dsc)"
EOF

# Without buildx the docker CLI falls back to the legacy builder; say so explicitly.
if [[ -z "${DOCKER_BUILDKIT:-}" ]] && ! docker buildx version >/dev/null 2>&1; then
  export DOCKER_BUILDKIT=0
fi

old_id="$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)"
echo "build-image.sh: building $image from $build_dir (${#libs[@]} shared libraries)"
docker build --quiet --tag "$image" "$ctx" >/dev/null 2>"$ctx/build.err" || {
  cat "$ctx/build.err" >&2
  die "docker build failed"
}
new_id="$(docker image inspect --format '{{.Id}}' "$image")"
if [[ -n "$old_id" && "$old_id" != "$new_id" ]]; then
  docker image rm "$old_id" >/dev/null 2>&1 || true  # still used by a container: keep it
fi

# Smoke test: both binaries load inside the image.
docker run --rm "$image" --version >/dev/null ||
  die "the image was built but dscd does not run inside it"
docker run --rm --entrypoint /usr/local/bin/dsc "$image" version >/dev/null ||
  die "the image was built but dsc does not run inside it"
size="$(docker image inspect --format '{{.Size}}' "$image")"
echo "build-image.sh: built $image ${new_id:7:12} ($((size / 1024 / 1024)) MB)"
