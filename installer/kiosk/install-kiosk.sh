#!/bin/sh
# Turn a Debian 12 machine (the counter already installed in /opt/mykey/.venv, e.g. by
# scripts/bootstrap.sh) into a dedicated MyKey Counter kiosk.  Run as root.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
apt-get update
apt-get install -y cage pcscd
id kiosk >/dev/null 2>&1 || useradd --system --create-home --shell /usr/sbin/nologin \
    --groups video,input,render kiosk
install -d -o kiosk -g kiosk -m 0700 /var/lib/mykey-counter
install -m 0644 "$here/mykey-kiosk.service" /etc/systemd/system/mykey-kiosk.service
install -d /etc/X11/xorg.conf.d
install -m 0644 "$here/xorg-lockdown.conf" /etc/X11/xorg.conf.d/90-mykey-lockdown.conf
# no console login on tty1, no Ctrl+Alt+Del reboot from the keyboard
systemctl mask ctrl-alt-del.target
systemctl daemon-reload
systemctl enable pcscd.socket mykey-kiosk.service
systemctl set-default graphical.target
echo "Enroll the counter as the kiosk user before the first start:"
echo "  sudo -u kiosk MYKEY_COUNTER_HOME=/var/lib/mykey-counter /opt/mykey/.venv/bin/mykey-counter enroll --server URL --code CODE"
echo "then: systemctl start mykey-kiosk"
