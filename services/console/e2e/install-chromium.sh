#!/usr/bin/env bash
# Installs Debian's headless Chromium for the console's browser tests when
# it is missing: CI machines start clean. CHROMIUM names another browser.
set -euo pipefail
browser="${CHROMIUM:-/usr/bin/chromium}"
# Chinese fonts, so that a failed test's screenshot shows words, not boxes.
fonts=fonts-wqy-zenhei
if [ -x "$browser" ] && dpkg -s "$fonts" >/dev/null 2>&1; then
	exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
	echo "the browser tests need Chromium at $browser: install Debian's chromium package (or set CHROMIUM)" >&2
	exit 1
fi
echo "installing chromium for the browser tests"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q chromium "$fonts" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q chromium "$fonts" >/dev/null; }
