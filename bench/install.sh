#!/usr/bin/env bash
# Installs the peers the benchmark measures Cordon against, when missing: ndpiReader, tshark,
# nfcapd/nfdump, softflowd, tcpreplay, radclient and FreeRADIUS (whose daemon the bench starts
# itself, with a configuration of its own, on loopback), eapol_test (the EAP-TLS load), and NetworkX (the trust graph's peer).
set -euo pipefail
need=()
command -v ndpiReader >/dev/null 2>&1 || need+=(libndpi-bin)
command -v tshark >/dev/null 2>&1 || need+=(tshark)
command -v nfcapd >/dev/null 2>&1 || need+=(nfdump)
command -v softflowd >/dev/null 2>&1 || need+=(softflowd)
command -v tcpreplay >/dev/null 2>&1 || need+=(tcpreplay)
command -v radclient >/dev/null 2>&1 || need+=(freeradius-utils)
command -v freeradius >/dev/null 2>&1 || need+=(freeradius)
command -v eapol_test >/dev/null 2>&1 || need+=(eapoltest)
python3 -c "import networkx" >/dev/null 2>&1 || need+=(python3-networkx)
[ "${#need[@]}" -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "bench: ${need[*]} missing and not root; the comparisons that need them are skipped" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${need[@]}" >/dev/null
