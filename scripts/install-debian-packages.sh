#!/bin/sh
# Install the Debian packages that mailwarden's end-to-end tests (or benchmarks) run
# for real: Postfix, Dovecot, nftables, ipset/iptables, swaks; acl (setfacl) for the
# tests of files a POSIX ACL lets another user write. Only what is missing is
# installed; no daemon is started by the installation (policy-rc.d), because the tests
# start their own instances inside network namespaces. gcc and python3-dev compile the hot
# modules (setup.py), which the suite tests; python3-venv gives Debian's python3 its venv.
# Usage: scripts/install-debian-packages.sh [extra-package ...]
set -eu
packages="acl postfix dovecot-core dovecot-imapd nftables ipset iptables iproute2 openssl swaks libnet-ssleay-perl libio-socket-inet6-perl logrotate systemd-journal-remote gcc python3-dev python3-venv $*"
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "install-debian-packages: missing:$missing (run as root to install them)" >&2
    exit 1
fi
echo "install-debian-packages: installing$missing" >&2
created_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    created_policy=1
fi
trap '[ "$created_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
