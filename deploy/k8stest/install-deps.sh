#!/usr/bin/env bash
# Installs from Debian what `make k8s-test` needs beyond Go and PostgreSQL:
# etcd (the API server's store) and runc (the container runtime the pods run
# with). Does nothing when both are there, so it is safe to run every time.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"

need=()
command -v etcd >/dev/null || need+=(etcd-server)
command -v runc >/dev/null || need+=(runc)
if [ ${#need[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "k8s-test: needs the Debian packages ${need[*]}, and root to install them (and to run containers)" >&2
	exit 1
fi
# etcd-server would start a system etcd where it can: the test starts its
# own, so no service may start on install.
policy=/usr/sbin/policy-rc.d
created=""
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod +x "$policy"
	created=1
fi
trap '[ -z "$created" ] || rm -f "$policy"' EXIT
echo "k8s-test: installing ${need[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
